package dream

import (
	"image"
	"image/color"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/projects"
)

// colourProject is the sample network for colour images with its initial
// weights, as an imported model (no dataset, image files only).
func colourProject(t *testing.T) *projects.Project {
	pr := panetest.Sample(t)
	pr.Graph.Find("input").Attrs["channels"] = 3
	m, err := nn.Build(pr.Graph, []int{3, 28, 28}, cpu.New(), 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	ws := map[string]projects.Tensor{}
	for k, v := range m.State() {
		ws[k] = projects.Tensor{Shape: append([]int(nil), v.Shape...), Data: append([]float32(nil), v.Data()...)}
	}
	pr.SetGroup(projects.GroupWeights, ws)
	pr.Dataset = projects.DatasetRef{C: 3, H: 28, W: 28}
	return pr
}

// stripes writes a 40×40 PNG of coloured stripes of the period given.
func stripes(t *testing.T, path string, period int, c color.NRGBA) {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for y := range 40 {
		for x := range 40 {
			if (x+y)/period%2 == 0 {
				img.SetNRGBA(x, y, c)
			} else {
				img.SetNRGBA(x, y, color.NRGBA{255 - c.R, 255 - c.G, 255 - c.B, 255})
			}
		}
	}
	panetest.WritePNG(t, path, img)
}

func TestFastStyleTrainsShowsAGalleryBlendsAndCancels(t *testing.T) {
	_, sh, _ := panetest.Open(t, colourProject(t), ui.PaneDream, Pane)
	p := sh.Built[ui.PaneDream].(*dreamPane)
	panetest.ModelLoaded(t, &p.Base)
	dir := t.TempDir()
	for i, n := range []string{"a.png", "b.png", "c.png", "s1.png", "s2.png"} {
		stripes(t, filepath.Join(dir, n), 2+3*i, color.NRGBA{uint8(40 * i), 200, uint8(250 - 50*i), 255})
	}
	p.mode.SetSelected(modeFast)
	p.openSource(filepath.Join(dir, "a.png"))
	p.styles.addFile(filepath.Join(dir, "s1.png"))
	p.styles.addFile(filepath.Join(dir, "s2.png"))
	p.c.steps.SetText("4")
	p.c.size.SetValue(16)
	p.fast.width.SetValue(4)
	p.fast.batch.SetText("1")
	test.Tap(p.run)
	p.job.Wait()
	v := p.fast
	// The content image and the other images of its folder, not the styles.
	if len(v.shown) != 3 || v.content[0].name != "a.png" || v.net == nil || v.restyle.Disabled() {
		t.Fatalf("gallery of %d (%q)", len(v.shown), p.info.Text)
	}
	if b := v.shown[2].Bounds(); b.Dx() != 16 || b.Dy() != 16 || len(p.view.losses) != 4 || !strings.Contains(p.info.Text, "Fast style: 4 steps") {
		t.Fatalf("gallery image %v, %d losses, %q", b, len(p.view.losses), p.info.Text)
	}
	// Export PNG writes the gallery side by side.
	img, what, ok := p.view.exported()
	if !ok || p.view.export.Disabled() || what != "The gallery" || img.Bounds().Dx() < 3*16 {
		t.Fatalf("fast style exports %v %q (%v)", ok, what, img)
	}
	// Each style alone stylises differently (conditional instance norm).
	p.styles.items[1].blend.SetValue(0)
	test.Tap(v.restyle)
	p.job.Wait()
	first := v.shown[0]
	p.styles.items[0].blend.SetValue(0)
	p.styles.items[1].blend.SetValue(1)
	test.Tap(v.restyle)
	p.job.Wait()
	if panetest.SamePixels(first, v.shown[0]) {
		t.Fatalf("the two styles stylise alike")
	}
	// A long training stops at Cancel.
	p.c.steps.SetText("5000")
	test.Tap(p.run)
	test.Tap(p.job.Stop)
	p.job.Wait()
	if !strings.HasPrefix(p.info.Text, "Cancelled") || len(p.view.losses) >= 5000 {
		t.Fatalf("cancel: %q after %d steps", p.info.Text, len(p.view.losses))
	}
}

func TestFastStyleNeedsAColourNetwork(t *testing.T) {
	p, _ := loaded(t)
	p.mode.SetSelected(modeFast)
	p.index.SetText("1")
	p.styles.addTest()
	test.Tap(p.run)
	if !strings.Contains(p.info.Text, "colour perceptual network") || p.job.Running() {
		t.Fatalf("fast style on a grey network: %q", p.info.Text)
	}
}
