package graphedit

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// BenchmarkSceneResNet152Size rebuilds the scene of a 515-node residual
// chain, as every edit (and every step of dragging a card) does.
func BenchmarkSceneResNet152Size(b *testing.B) {
	g := bigChain(515)
	for b.Loop() {
		buildScene(&g, testStyle)
	}
}

// BenchmarkRedrawResNet152Size redraws the view of a 515-node graph at 100%
// zoom, as panning does.
func BenchmarkRedrawResNet152Size(b *testing.B) {
	test.NewTempApp(b)
	e := NewEditor()
	e.Style = testStyle
	e.SetGraph(bigChain(515))
	w := test.NewTempWindow(b, e)
	w.Resize(fyne.NewSize(1000, 700))
	e.SetZoom(1)
	r := test.WidgetRenderer(e)
	for b.Loop() {
		e.Pan(0, 7)
		r.Refresh()
	}
}
