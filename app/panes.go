package app

import (
	"sort"

	"github.com/workbench-cv/workbench/app/adversarial"
	"github.com/workbench-cv/workbench/app/architecture"
	"github.com/workbench-cv/workbench/app/classic"
	"github.com/workbench-cv/workbench/app/data"
	"github.com/workbench-cv/workbench/app/dream"
	"github.com/workbench-cv/workbench/app/embeddings"
	"github.com/workbench-cv/workbench/app/filters"
	"github.com/workbench-cv/workbench/app/saliency"
	"github.com/workbench-cv/workbench/app/trainui"
	"github.com/workbench-cv/workbench/app/ui"
)

// Pane describes one pane of the main window (see ui.Pane).
type Pane = ui.Pane

// builtinPanes are the panes every window has, each from its package's
// pane.go.
var builtinPanes = map[string]Pane{}

func init() {
	for _, p := range []Pane{data.Pane, architecture.Pane, trainui.Pane, classic.Pane, filters.Pane,
		embeddings.Pane, saliency.Pane, adversarial.Pane, dream.Pane} {
		builtinPanes[p.ID] = p
	}
}

// registered holds RegisterPane's panes; they replace built-in ones by ID.
var registered = map[string]Pane{}

// RegisterPane adds a pane or replaces the content of a built-in one. Call it
// from an init function in the file (or package) that implements the pane:
//
//	func init() {
//		app.RegisterPane(app.Pane{ID: ui.PaneTrain, New: newTrainPane})
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
