// Command workbench is the Workbench desktop app and its command-line
// interface. With no subcommand, with `open FILE` or with a project file as
// its only argument it opens the app; every other subcommand (listed by
// `workbench --help`) works with no display.
//
// The frame (frame*.go) parses flags, which may be interleaved with
// positional arguments, adds --json, --device, --seed and --threads to every
// command, writes JSON Lines events or tables and progress bars for people,
// turns errors into exit codes (0 success, 1 failure, 2 bad usage or input,
// with one line on stderr) and never shows a panic trace. Each subcommand
// lives in its own file, cmd_<name>.go, and registers itself:
//
//	func init() {
//		register(Command{Name: "data", Summary: "...", Usage: "...", Flags: ..., Run: runData})
//	}
//
// Build with -ldflags "-X main.version=1.2.3" to set the version.
package main
