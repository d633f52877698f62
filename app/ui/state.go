package ui

import (
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/projects"
)

// Change says what changed in a State; listeners registered with OnChange
// receive it.
type Change int

const (
	// ProjectReplaced: a different project was opened, created or closed.
	ProjectReplaced Change = iota
	// ProjectEdited: the current project was modified (it is now dirty).
	ProjectEdited
	// ProjectSaved: the project was written to State.Path (it is now clean).
	ProjectSaved
	// DatasetChanged: State.Dataset was loaded or dropped.
	DatasetChanged
	// DeviceChanged: State.Device changed.
	DeviceChanged
)

// State is the application state every pane sees: the open project, the
// loaded dataset and the compute device. Its methods, like all Fyne calls,
// must run on the UI goroutine; a goroutine doing long work reports back with
// fyne.Do.
type State struct {
	// Project is the open project; never nil while a window shows panes.
	Project *projects.Project
	// Path is the project's file, "" for a project that was never saved.
	Path string
	// Dataset is the loaded dataset of the project, nil until a pane loads it.
	Dataset *data.Dataset
	// Device is the compute device's name as shown to people.
	Device string
	// Window is the main window: the parent for dialogs. It is a test
	// window when panes are rendered to images.
	Window fyne.Window

	dirty     bool
	listeners map[int]func(Change)
	nextID    int
	showPane  func(id string)
	paneTitle func(id string) (string, bool)
}

// NewState returns the state for a project opened from path ("" if unsaved).
func NewState(p *projects.Project, path string) *State {
	return &State{Project: p, Path: path, Device: "CPU", listeners: map[int]func(Change){}}
}

// Dirty reports whether the project has changes that are not saved.
func (s *State) Dirty() bool { return s.dirty }

// MarkDirty records that a pane changed the project; the status bar shows
// the unsaved-changes mark and closing the window asks first.
func (s *State) MarkDirty() {
	s.dirty = true
	s.notify(ProjectEdited)
}

// SetProject replaces the project (after New, Open or Close) and tells every
// listener; the new project starts clean and the dataset is dropped.
func (s *State) SetProject(p *projects.Project, path string) {
	s.Project, s.Path, s.dirty = p, path, false
	s.Dataset = nil
	s.notify(ProjectReplaced)
}

// SetDataset stores a loaded dataset for the panes to share.
func (s *State) SetDataset(ds *data.Dataset) {
	s.Dataset = ds
	s.notify(DatasetChanged)
}

// SetDevice changes the device name shown in the status bar.
func (s *State) SetDevice(name string) {
	s.Device = name
	s.notify(DeviceChanged)
}

// MarkSaved records a successful save to path.
func (s *State) MarkSaved(path string) {
	s.Path, s.dirty = path, false
	s.notify(ProjectSaved)
}

// OnChange calls fn after every change; the returned function unsubscribes.
func (s *State) OnChange(fn func(Change)) (cancel func()) {
	if s.listeners == nil {
		s.listeners = map[int]func(Change){}
	}
	id := s.nextID
	s.nextID++
	s.listeners[id] = fn
	return func() { delete(s.listeners, id) }
}

func (s *State) notify(c Change) {
	// Call in subscription order so that the window (subscribed first)
	// updates before panes do.
	for id := 0; id < s.nextID; id++ {
		if fn, ok := s.listeners[id]; ok {
			fn(c)
		}
	}
}

// ShowPane brings the pane with the given ID to the front, e.g. from an
// empty state's "Go to the Train pane" button.
func (s *State) ShowPane(id string) {
	if s.showPane != nil {
		s.showPane(id)
	}
}

// PaneTitle is the title of the pane with the given ID as the navigation
// shows it; false when the window has no such pane.
func (s *State) PaneTitle(id string) (string, bool) {
	if s.paneTitle == nil {
		return "", false
	}
	return s.paneTitle(id)
}

// SetNavigation connects the state to the window that shows the panes:
// show brings a pane to the front, title names it. The shell calls it.
func (s *State) SetNavigation(show func(id string), title func(id string) (string, bool)) {
	s.showPane, s.paneTitle = show, title
}

// ProjectName is the name shown in the title and status bars.
func (s *State) ProjectName() string {
	if s.Project != nil && strings.TrimSpace(s.Project.Name) != "" {
		return s.Project.Name
	}
	if s.Path != "" {
		return strings.TrimSuffix(filepath.Base(s.Path), filepath.Ext(s.Path))
	}
	return "Untitled"
}

// HasWeights reports whether the project holds trained weights.
func (s *State) HasWeights() bool {
	return s.Project != nil && len(s.Project.Group(projects.GroupWeights)) > 0
}

// HasArchitecture reports whether the project defines a network.
func (s *State) HasArchitecture() bool {
	return s.Project != nil && len(s.Project.Graph.Nodes) > 0
}

// DatasetShape is the image shape (C,H,W) of the project's dataset, nil
// when it is not known yet.
func (s *State) DatasetShape() []int {
	if s.Project != nil {
		if d := s.Project.Dataset; d.C > 0 && d.H > 0 && d.W > 0 {
			return []int{d.C, d.H, d.W}
		}
	}
	if ds := s.Dataset; ds != nil && ds.Train != nil && ds.Train.C > 0 {
		return []int{ds.Train.C, ds.Train.H, ds.Train.W}
	}
	return nil
}
