package inspection

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

// Base is what the inspection panes (Filters & Activations,
// Embeddings) share: the project's trained model, read again when the
// architecture or the weights change, and the dataset its images come
// from, loaded on demand.
type Base struct {
	S        *ui.State
	Title    string
	Icon     fyne.Resource
	About    string // what the pane shows, for its empty states
	DataJob  *widgets.JobBar
	Model    *Model
	ModelErr error
	modelSig string
	DataErr  error
	shownD   *data.Dataset // the dataset RefreshOneImage last picked from
	// Sync computes on the calling goroutine (RenderPanes).
	Sync bool
	// OnLoaded is the pane's own refresh, called after a load.
	OnLoaded func()
}

// SyncModel reads the project's model again when it changed, and reports
// whether it did.
func (b *Base) SyncModel() bool {
	s := b.S
	if !s.HasArchitecture() || !s.HasWeights() {
		changed := b.Model != nil || b.ModelErr != nil
		b.Model, b.ModelErr, b.modelSig = nil, nil, ""
		return changed
	}
	sig := Signature(s.Project)
	if sig == b.modelSig {
		return false
	}
	b.modelSig = sig
	b.Model, b.ModelErr = LoadModel(s.Project)
	return true
}

// Blocked returns the empty state to show instead of the pane's content
// (no trained model, or one that cannot be read), nil when there is a
// model to inspect.
func (b *Base) Blocked(command string) *widgets.EmptyState {
	s := b.S
	if b.Model != nil {
		return nil
	}
	if b.ModelErr != nil {
		e := widgets.NewEmptyState(theme.ErrorIcon(), b.Title, b.About)
		e.Steps = []string{"The trained model cannot be inspected: " + b.ModelErr.Error() + ".",
			"Train the current architecture again in the Train pane."}
		ui.GoTo(s, e, ui.PaneTrain)
		e.Note = ui.WeightsNote(s)
		return e
	}
	e := widgets.NewEmptyState(b.Icon, b.Title, b.About)
	if ui.NeedsTrainedModel(s, e) {
		// The project has weights but the model was not read yet.
		e.Steps = []string{"From a terminal:"}
		e.Command = command
		e.Note = ui.WeightsNote(s)
	}
	return e
}

// NeedData is what a part of a pane that runs images through the network
// shows until the dataset is loaded (or when it does not fit).
func (b *Base) NeedData(what string) fyne.CanvasObject {
	if b.DataErr != nil {
		return widgets.HintBox("The dataset could not be loaded: "+b.DataErr.Error()+".", "Go to Data", func() { b.S.ShowPane(ui.PaneData) })
	}
	if b.S.Dataset != nil && b.Model != nil {
		if err := b.Model.CheckData(b.S.Dataset); err != nil {
			return widgets.HintBox(widgets.FirstUpper(err.Error())+".", "Go to Data", func() { b.S.ShowPane(ui.PaneData) })
		}
	}
	spec := ui.DatasetSpec(b.S)
	return widgets.HintBox(fmt.Sprintf("%s needs the project's images: load %s.", what, ui.DatasetTitle(spec)),
		"Load "+ui.DatasetTitle(spec), b.LoadData)
}

// LoadData loads the project's dataset for every pane.
func (b *Base) LoadData() {
	b.DataJob.Sync = b.Sync
	ui.LoadDataset(b.S, b.DataJob, ui.DatasetSpec(b.S), 0, func(err error) {
		if err == nil || widgets.Cancelled(err) {
			return
		}
		b.DataErr = err
		if b.OnLoaded != nil {
			b.OnLoaded()
		}
	})
	b.DataJob.Sync = false
}

// DataOK reports whether the dataset is loaded and fits the network.
func (b *Base) DataOK() bool {
	return b.Model != nil && b.S.Dataset != nil && b.Model.CheckData(b.S.Dataset) == nil
}
