package architecture

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// The mobile squeeze-and-excitation blocks insert from the palette after
// the selected layer and leave a valid graph gated as their networks are.
func TestMobileSEBlocksFromThePalette(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	for kind, gate := range map[string]string{"se-mobilenet_v3": "hardsigmoid", "se-efficientnet": "sigmoid"} {
		p.ed.Select(opsOf(p, "relu")[0])
		before := len(opsOf(p, gate))
		test.Tap(paletteItemNamed(t, p, "block", kind))
		if !p.res.ok() {
			t.Fatalf("after inserting %s: %v", kind, p.Problems())
		}
		if got := len(opsOf(p, gate)); got != before+1 {
			t.Errorf("%s: %d %s gates, want %d", kind, got, gate, before+1)
		}
	}
	if got := len(p.ed.Blocks()); got != 2 {
		t.Errorf("%d blocks after two SE blocks: %+v", got, p.ed.Blocks())
	}
}
