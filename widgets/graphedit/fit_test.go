package graphedit

import (
	"testing"

	"fyne.io/fyne/v2"
)

// Fit shows a whole 11-layer chain when 40 % suffices (it stopped at 50 %
// and cut the last card off); a chain far too long to read whole still
// shows its top at a legible zoom.
func TestFitShowsAnElevenLayerChainWhole(t *testing.T) {
	ops := []string{"conv", "relu", "pool", "conv", "relu", "pool", "flatten", "linear", "relu", "linear", "softmax"}
	e, win := newTestEditor(t, chain(ops...), 900, 600)
	bx0, by0, bx1, by1 := e.exportBounds()
	// A view where the whole chain needs 42 % (between the floor of 40 %
	// and the old one of 50 %).
	win.Resize(fyne.NewSize(900, 0.42*(by1-by0)))
	e.FitAll()
	x0, y0, x1, y1 := e.viewRect()
	if e.Zoom() < 0.4 || e.Zoom() > 0.5 || x0 > bx0 || y0 > by0+0.5 || x1 < bx1 || y1 < by1-0.5 {
		t.Fatalf("zoom %.3f shows [%.0f,%.0f]-[%.0f,%.0f] of the graph's [%.0f,%.0f]-[%.0f,%.0f]",
			e.Zoom(), x0, y0, x1, y1, bx0, by0, bx1, by1)
	}

	long := make([]string, 60)
	for i := range long {
		long[i] = "relu"
	}
	e2, _ := newTestEditor(t, chain(long...), 900, 600)
	e2.FitAll()
	_, ly0, _, _ := e2.exportBounds()
	_, vy0, _, _ := e2.viewRect()
	if e2.Zoom() != fitMinZoom || vy0 != ly0 {
		t.Fatalf("a 60-layer chain fits at %.3f from y %.0f (its top is at %.0f)", e2.Zoom(), vy0, ly0)
	}
}
