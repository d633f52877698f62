package ui

import (
	"context"

	"fyne.io/fyne/v2"
)

// Pane describes one pane of the main window. Each pane package exports
// its Pane from its pane.go; the shell's registry lists them.
type Pane struct {
	// ID is the stable name of the pane ("data", "train"...); see the Pane*
	// constants.
	ID string
	// Title is shown in the navigation list.
	Title string
	// Icon is shown next to the title.
	Icon fyne.Resource
	// Order places the pane in the navigation list (smaller first).
	Order int
	// New builds the pane's content. It is called once per window, when the
	// pane is first shown (or rendered); the pane then follows the state
	// through State.OnChange (a new project arrives as ProjectReplaced).
	New func(s *State) fyne.CanvasObject
}

// The IDs of the panes of the main window.
const (
	PaneData         = "data"
	PaneArchitecture = "architecture"
	PaneTrain        = "train"
	PaneClassic      = "classic"
	PaneFilters      = "filters"
	PaneEmbeddings   = "embeddings"
	PaneSaliency     = "saliency"
	PaneAdversarial  = "adversarial"
	PaneDream        = "dream"
)

// RenderPreparer is pane content with work to finish before its picture is
// taken (RenderPanes): a pane that loads a dataset or runs a computation
// when asked does it here, on the rendering goroutine, so that the picture
// shows results rather than an empty state or a progress bar. Problems are
// shown in the pane, not returned.
type RenderPreparer interface {
	PrepareRender(ctx context.Context)
}
