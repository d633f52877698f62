package app

import (
	"sort"

	"fyne.io/fyne/v2"
)

// Pane describes one pane of the main window.
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

// builtinPanes are the panes every window has; each one's default content
// (its empty state) lives in its own file, pane_<id>.go.
var builtinPanes = map[string]Pane{}

// registered holds RegisterPane's panes; they replace built-in ones by ID.
var registered = map[string]Pane{}

// builtin adds a default pane; it is called from the pane_*.go files.
func builtin(p Pane) Pane {
	builtinPanes[p.ID] = p
	return p
}

// RegisterPane adds a pane or replaces the content of a built-in one. Call it
// from an init function in the file (or package) that implements the pane:
//
//	func init() {
//		app.RegisterPane(app.Pane{ID: app.PaneTrain, New: newTrainPane})
//	}
//
// Fields left empty (Title, Icon, Order) are taken from the built-in pane
// with the same ID, so replacing a pane's content needs only ID and New.
// Registration always wins over the built-in default, whatever the order of
// init functions; registering the same ID twice panics at start-up.
func RegisterPane(p Pane) {
	if p.ID == "" || p.New == nil {
		panic("app.RegisterPane: a pane needs an ID and a New function")
	}
	if _, dup := registered[p.ID]; dup {
		panic("app.RegisterPane: pane " + p.ID + " registered twice")
	}
	registered[p.ID] = p
}

// Panes returns the panes of the main window in navigation order.
func Panes() []Pane {
	out := make([]Pane, 0, len(builtinPanes)+len(registered))
	for id, b := range builtinPanes {
		if r, ok := registered[id]; ok {
			out = append(out, merge(b, r))
			continue
		}
		out = append(out, b)
	}
	for id, r := range registered {
		if _, ok := builtinPanes[id]; !ok {
			if r.Title == "" {
				r.Title = id
			}
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func merge(b, r Pane) Pane {
	if r.Title == "" {
		r.Title = b.Title
	}
	if r.Icon == nil {
		r.Icon = b.Icon
	}
	if r.Order == 0 {
		r.Order = b.Order
	}
	return r
}

// PaneByID returns the pane with the given ID.
func PaneByID(id string) (Pane, bool) {
	for _, p := range Panes() {
		if p.ID == id {
			return p, true
		}
	}
	return Pane{}, false
}
