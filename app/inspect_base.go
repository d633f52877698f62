package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

// inspectBase is what the inspection panes (Filters & Activations,
// Embeddings) share: the project's trained model, read again when the
// architecture or the weights change, and the dataset its images come
// from, loaded on demand.
type inspectBase struct {
	s        *State
	title    string
	icon     fyne.Resource
	about    string // what the pane shows, for its empty states
	dataJob  *jobBar
	model    *inspectModel
	modelErr error
	modelSig string
	dataErr  error
	// sync computes on the calling goroutine (RenderPanes).
	sync bool
	// refresh is the pane's own refresh, called after a load.
	refresh func()
}

// syncModel reads the project's model again when it changed, and reports
// whether it did.
func (b *inspectBase) syncModel() bool {
	s := b.s
	if !s.HasArchitecture() || !s.HasWeights() {
		changed := b.model != nil || b.modelErr != nil
		b.model, b.modelErr, b.modelSig = nil, nil, ""
		return changed
	}
	sig := inspectSignature(s.Project)
	if sig == b.modelSig {
		return false
	}
	b.modelSig = sig
	b.model, b.modelErr = loadInspectModel(s.Project)
	return true
}

// blocked returns the empty state to show instead of the pane's content
// (no trained model, or one that cannot be read), nil when there is a
// model to inspect.
func (b *inspectBase) blocked(command string) *widgets.EmptyState {
	s := b.s
	if b.model != nil {
		return nil
	}
	if b.modelErr != nil {
		e := widgets.NewEmptyState(theme.ErrorIcon(), b.title, b.about)
		e.Steps = []string{"The trained model cannot be inspected: " + b.modelErr.Error() + ".",
			"Train the current architecture again in the Train pane."}
		goTo(s, e, PaneTrain)
		e.Note = weightsNote(s)
		return e
	}
	e := widgets.NewEmptyState(b.icon, b.title, b.about)
	if needsTrainedModel(s, e) {
		// The project has weights but the model was not read yet.
		e.Steps = []string{"From a terminal:"}
		e.Command = command
		e.Note = weightsNote(s)
	}
	return e
}

// needData is what a part of a pane that runs images through the network
// shows until the dataset is loaded (or when it does not fit).
func (b *inspectBase) needData(what string) fyne.CanvasObject {
	if b.dataErr != nil {
		return hintBox("The dataset could not be loaded: "+b.dataErr.Error()+".", "Go to Data", func() { b.s.ShowPane(PaneData) })
	}
	if b.s.Dataset != nil && b.model != nil {
		if err := b.model.checkData(b.s.Dataset); err != nil {
			return hintBox(firstUpper(err.Error())+".", "Go to Data", func() { b.s.ShowPane(PaneData) })
		}
	}
	spec := datasetSpec(b.s)
	return hintBox(fmt.Sprintf("%s needs the project's images: load %s.", what, datasetTitle(spec)),
		"Load "+datasetTitle(spec), b.loadData)
}

// loadData loads the project's dataset for every pane.
func (b *inspectBase) loadData() {
	b.dataJob.sync = b.sync
	loadInspectData(b.s, b.dataJob, func(err error) {
		b.dataErr = err
		if b.refresh != nil {
			b.refresh()
		}
	})
	b.dataJob.sync = false
}

// dataOK reports whether the dataset is loaded and fits the network.
func (b *inspectBase) dataOK() bool {
	return b.model != nil && b.s.Dataset != nil && b.model.checkData(b.s.Dataset) == nil
}
