package app

// Models in and out of the app: File ▸ Import Model… (and drag and drop)
// and File ▸ Export Model…, both through package exchange.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/architecture"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/interop/tfjs"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/exchange"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/projects/imported"
	"github.com/workbench-cv/workbench/widgets"
)

// modelExtensions are the files File ▸ Import model… offers.
var modelExtensions = []string{".onnx", ".json", ".tgz", ".gz"}

// importModelDialog asks for a model file to import (File ▸ Import model…).
func (w *window) importModelDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			w.showError("Import model", err)
			return
		}
		if r == nil {
			return // cancelled
		}
		path := r.URI().Path()
		r.Close()
		w.importModel(path)
	}, w.win)
	d.SetFilter(storage.NewExtensionFileFilter(modelExtensions))
	if dir := w.lastFolder(); dir != nil {
		d.SetLocation(dir)
	}
	d.Resize(fyne.NewSize(900, 600))
	w.showDialog(d)
}

// isModelPath reports whether a dropped path is a model to import: an ONNX
// file, a model.json, an npm package, or a folder holding model.json (as
// an unpacked npm package does, one or two levels down).
func isModelPath(path string) bool {
	low := strings.ToLower(filepath.Base(path))
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		for _, pat := range []string{"model.json", "*/model.json", "*/*/model.json"} {
			if m, _ := filepath.Glob(filepath.Join(path, pat)); len(m) > 0 {
				return true
			}
		}
		return false
	}
	return strings.HasSuffix(low, ".onnx") || low == "model.json" || strings.HasSuffix(low, ".tgz") || strings.HasSuffix(low, ".tar.gz")
}

// importJob runs imports: its bar shows in a modal dialog while one runs.
func (w *window) importJobBar() *widgets.JobBar {
	if w.importJob == nil {
		w.importJob = widgets.NewJobBar()
	}
	return w.importJob
}

// importModel reads the model at path off the UI goroutine, with progress
// and Cancel, and then makes it the open project (asking first about
// unsaved work) and shows it in the Architecture pane. A model with layers
// Workbench cannot map is listed in a dialog and nothing is loaded.
func (w *window) importModel(path string) {
	job := w.importJobBar()
	var p *projects.Project
	var m *interop.Model
	name := filepath.Base(path)
	progress := dialog.NewCustomWithoutButtons("Importing "+name, container.New(&widgets.MinWidth{W: 460}, job.Content()), w.win)
	err := job.Start("Reading "+name+"…", func(ctx context.Context, report widgets.Report) error {
		var err error
		p, m, err = readModelProject(ctx, path, report)
		return err
	}, func(err error) {
		progress.Hide()
		switch {
		case widgets.Cancelled(err):
		case err != nil:
			w.showImportError(name, err)
		default:
			w.confirmDiscard("Import model", func() { w.adoptImported(p, m) })
		}
	})
	if err != nil {
		w.showError("Import model", err)
		return
	}
	if job.Running() {
		w.showDialog(progress)
	}
}

// readModelProject imports the model at path as a new project. The
// importers cannot be interrupted: after Cancel their result is dropped.
func readModelProject(ctx context.Context, path string, report widgets.Report) (*projects.Project, *interop.Model, error) {
	type result struct {
		p   *projects.Project
		m   *interop.Model
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.err = widgets.RunSafely(func() error {
			m, err := exchange.Read(path, tfjs.Options{Preprocess: "auto"})
			if err != nil {
				return err
			}
			report(1, 2, "Making a project of "+filepath.Base(path)+"…")
			if r.p, err = imported.Project(m); err != nil {
				return err
			}
			r.m = m
			return nil
		})
		done <- r
	}()
	report(0, 2, "")
	select {
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case r := <-done:
		if r.err == nil {
			report(2, 2, "")
		}
		return r.p, r.m, r.err
	}
}

// adoptImported makes the imported project the open one, unsaved, and
// shows its graph.
func (w *window) adoptImported(p *projects.Project, m *interop.Model) {
	w.state.SetProject(p, "")
	w.state.MarkDirty() // never saved: closing asks, autosave keeps it
	w.state.ShowPane(ui.PaneArchitecture)
	a := nn.Analyze(p.Graph, m.Input)
	msg := fmt.Sprintf("Imported %s (%s): %s, %s learned parameters, %d classes, input %s.", p.Name, strings.ToUpper(m.Format),
		widgets.Plural(len(p.Graph.Nodes), "layer"), widgets.Thousands(int(a.Params)), len(m.Classes), architecture.ShapeText(m.Input))
	if len(p.Graph.Blocks) > 0 {
		msg += fmt.Sprintf(" Its layers are grouped into %d blocks: Collapse all in the Architecture pane shows one card per block.", len(p.Graph.Blocks))
	}
	for _, n := range m.Notes {
		msg += "\n• " + widgets.FirstUpper(n)
	}
	msg += "\nSave it (File ▸ Save) to keep it as a project."
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Model imported", "OK", container.New(&widgets.MinWidth{W: 520}, l), w.win)
	w.showDialog(d)
}

// showImportError says why a model could not be imported; unsupported
// layers are listed one per line.
func (w *window) showImportError(name string, err error) {
	var uns *interop.UnsupportedError
	if !errors.As(err, &uns) {
		w.showError("Could not import "+name, err)
		return
	}
	head := widget.NewLabel(fmt.Sprintf("%s uses %s that Workbench cannot import yet, so nothing was imported:",
		name, widgets.Plural(len(uns.Ops), "layer type")))
	head.Wrapping = fyne.TextWrapWord
	ops := widget.NewLabelWithStyle(strings.Join(uns.Ops, "\n"), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	details := widget.NewLabel(strings.Join(uns.Details, "\n"))
	details.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(head, ops)
	if len(uns.Details) > 0 {
		body.Add(widget.NewLabel("Where:"))
		body.Add(details)
	}
	scroll := container.NewVScroll(body)
	scroll.SetMinSize(fyne.NewSize(560, 260))
	w.showDialog(dialog.NewCustom("Unsupported layers in "+name, "OK", scroll, w.win))
}

// exportChoices are the formats File ▸ Export model… offers, as shown.
var exportChoices = map[string]string{
	"ONNX (.onnx file)":                    "onnx",
	"PyTorch (folder: model.py + weights)": "pytorch",
	"NumPy weights (.npz)":                 "npz",
}

// exportModel builds what an export writes from the open project: its
// graph, input shape and current weights.
func (w *window) exportModel() (exchange.Model, error) {
	p := w.state.Project
	ws := p.Group(projects.GroupWeights)
	if len(ws) == 0 {
		return exchange.Model{}, fmt.Errorf("the project has no weights yet: train it in the Train pane, or import a model, before exporting")
	}
	a := nn.Analyze(p.Graph, nil)
	if err := a.Err(); err != nil {
		return exchange.Model{}, fmt.Errorf("the network has a problem (see the Architecture pane): %v", err)
	}
	return exchange.Model{Graph: p.Graph, Input: a.Nodes[a.Input].Out, Weights: ws,
		Producer: "workbench " + w.opts.version()}, nil
}

// exportModelDialog asks for a format and then where to write it (File ▸
// Export model…).
func (w *window) exportModelDialog() {
	m, err := w.exportModel()
	if err != nil {
		w.showError("Export model", err)
		return
	}
	labels := []string{"ONNX (.onnx file)", "PyTorch (folder: model.py + weights)", "NumPy weights (.npz)"}
	choice := widget.NewRadioGroup(labels, nil)
	choice.SetSelected(labels[0])
	note := widget.NewLabel("The architecture and the current weights, written as the command `workbench export` writes them.")
	note.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Export model", "Choose where…", "Cancel",
		container.New(&widgets.MinWidth{W: 460}, container.NewVBox(note, choice)), func(ok bool) {
			if ok {
				w.exportTo(exportChoices[choice.Selected], m)
			}
		}, w.win)
	w.showDialog(d)
}

// exportTo asks where to write m in format and writes it there.
func (w *window) exportTo(format string, m exchange.Model) {
	f, _ := exchange.FormatOf(format)
	base := safeFileName(w.state.ProjectName())
	if f.Ext == "" {
		d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
			if err != nil {
				w.showError("Export model", err)
			} else if dir != nil {
				w.writeExport(format, m, filepath.Join(dir.Path(), base+"-"+format))
			}
		}, w.win)
		if dir := w.lastFolder(); dir != nil {
			d.SetLocation(dir)
		}
		d.Resize(fyne.NewSize(900, 600))
		w.showDialog(d)
		return
	}
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			w.showError("Export model", err)
			return
		}
		if wc == nil {
			return
		}
		path := wc.URI().Path()
		wc.Close() // the export replaces the file atomically
		if !strings.EqualFold(filepath.Ext(path), f.Ext) {
			path += f.Ext
		}
		w.writeExport(format, m, path)
	}, w.win)
	d.SetFileName(base + f.Ext)
	d.SetFilter(storage.NewExtensionFileFilter([]string{f.Ext}))
	if dir := w.lastFolder(); dir != nil {
		d.SetLocation(dir)
	}
	d.Resize(fyne.NewSize(900, 600))
	w.showDialog(d)
}

// writeExport writes the export off the UI goroutine and says what it
// wrote.
func (w *window) writeExport(format string, m exchange.Model, out string) {
	job := w.importJobBar()
	var files []string
	progress := dialog.NewCustomWithoutButtons("Exporting "+filepath.Base(out), container.New(&widgets.MinWidth{W: 460}, job.Content()), w.win)
	err := job.Start("Writing "+filepath.Base(out)+"…", func(ctx context.Context, report widgets.Report) error {
		var err error
		files, err = exchange.Write(format, m, out)
		return err
	}, func(err error) {
		progress.Hide()
		if err != nil {
			w.showError("Could not export "+filepath.Base(out), err)
			return
		}
		w.lastExport = files
		w.showDialog(dialog.NewInformation("Model exported", "Wrote "+strings.Join(files, "\n"), w.win))
	})
	if err != nil {
		w.showError("Export model", err)
		return
	}
	if job.Running() {
		w.showDialog(progress)
	}
}
