package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/exchange"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

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
