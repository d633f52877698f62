// Package projects reads and writes Workbench project files (".wbproj").
//
// A project is one self-contained file holding everything needed to pick up
// work where it stopped: the architecture graph, the dataset reference, the
// preprocessing settings and statistics, the hyper-parameters, the history of
// training runs with their metrics, the inspection settings, and the tensors
// (weights, optimizer state, checkpoints).
//
// The file is data, never code. It is a zip container with exactly two
// entries:
//
//	manifest.json        the versioned manifest (everything except tensors)
//	tensors.safetensors  the tensors, float32, in the safetensors layout
//
// Both parts are validated before anything is allocated from a size the file
// declares, so a corrupt, truncated or hostile file gives a typed error that
// says what is wrong and what to do ([ErrCorrupt], [ErrUnsafe],
// [ErrNewerVersion], [ErrInvalid], [ErrRead]), never a panic.
//
// [Save] is atomic: it writes a temporary file in the target's folder, syncs
// it, and renames it over the target, so a crash or a kill at any moment
// leaves either the previous file or the new one, never a mixture. [Autosave]
// writes a side file the same way; [NewerAutosave] tells, on open, whether a
// crash left newer work there. Save refuses to replace a file that is not a
// project ([ErrNotProject]; [SaveWith] with Overwrite does), removes the
// temporary files of saves that died, and takes the project's advisory
// [Lock] for the write; a process that writes a project over a long time (a
// training run) holds it with [AcquireLock], so that a second writer is
// refused at once ([ErrLocked]) instead of both writing and one run being lost.
//
// Files written by older versions of Workbench are migrated on [Open] through
// a chain of migrations, one per format version; files from a newer Workbench
// are refused with a message asking to update.
//
// docs/project-format.md describes the format for people writing other tools.
package projects
