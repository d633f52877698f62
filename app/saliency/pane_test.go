package saliency

import (
	"image"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

func TestSaliencyPaneAsksForATrainedModel(t *testing.T) {
	panetest.NewShell(t, panetest.Sample(t), Pane).EmptyState(t, ui.PaneSaliency)
}

func loaded(t *testing.T) *salPane {
	s, _, p := panetest.OpenTrained[*salPane](t, ui.PaneSaliency, Pane)
	panetest.ModelLoaded(t, &p.Base)
	s.SetDataset(panetest.SampleData(t))
	p.job.Wait() // the prediction of the first test image
	if p.x == nil || p.pred < 0 || len(p.layer.Options) != 6 || p.layer.Selected != "pool2" {
		t.Fatalf("after loading the data: image %v, layers %q selected %q", p.x != nil, p.layer.Options, p.layer.Selected)
	}
	return p
}

func TestSaliencyPaneFillsEveryMethod(t *testing.T) {
	p := loaded(t)
	before := p.cells[0].img.raster.Image
	test.Tap(p.run)
	p.job.Wait()
	for i, c := range p.cells {
		if c.m == nil || c.m.H != p.Model.In[1] || c.m.W != p.Model.In[2] {
			t.Fatalf("%s: no map of the image's size after Explain (%q)", p.methods[i].title, p.info.Text)
		}
	}
	after := p.cells[0].img.raster.Image
	if panetest.SamePixels(before, after) {
		t.Fatalf("the saliency cell still shows the bare image")
	}
	p.opacity.SetValue(1)
	if panetest.SamePixels(after, p.cells[0].img.raster.Image) {
		t.Fatalf("the opacity slider does not change the overlay")
	}
	// Another class gives another map.
	old := append([]float32(nil), p.cells[0].m.V...)
	p.class.SetSelectedIndex(1 + (p.pred+1)%(len(p.class.Options)-1))
	test.Tap(p.run)
	p.job.Wait()
	same := true
	for i, v := range p.cells[0].m.V {
		same = same && v == old[i]
	}
	if same {
		t.Fatalf("explaining another class gives the same saliency map")
	}
}

func TestSaliencyPaneSanityCheckPlotsEveryLayer(t *testing.T) {
	p := loaded(t)
	test.Tap(p.sanity.run)
	p.job.Wait()
	// The trained model and each of the four layers with weights.
	if len(p.sanity.steps) != 5 || p.sanity.steps[0].Correlation < 0.999 {
		t.Fatalf("sanity steps %+v (%q)", p.sanity.steps, p.sanity.note.Text)
	}
}

func TestSaliencyPaneClassVisualisationScrubsExportsAndCancels(t *testing.T) {
	p := loaded(t)
	v := p.viz
	v.steps.SetText("30")
	test.Tap(v.run)
	p.job.Wait()
	if len(v.frames) != 4 || v.scrub.Max != 3 || !v.export.Visible() || v.export.Disabled() {
		t.Fatalf("30 iterations kept %d frames, slider max %v", len(v.frames), v.scrub.Max)
	}
	last := v.pic.raster.Image
	v.scrub.SetValue(0)
	if panetest.SamePixels(last, v.pic.raster.Image) {
		t.Fatalf("scrubbing back does not change the picture")
	}
	path := filepath.Join(t.TempDir(), "viz.png")
	if err := v.exportPNG(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil || !sameRGBA(img, v.frames[0].img) {
		t.Fatalf("the exported PNG is not the shown iteration: %v", err)
	}
	// A long run stops at Cancel.
	v.steps.SetText("5000")
	test.Tap(v.run)
	test.Tap(p.job.Stop)
	p.job.Wait()
	if len(v.frames) >= 5000/vizEvery {
		t.Fatalf("cancel did not stop the ascent: %d frames", len(v.frames))
	}
}

// sameRGBA compares two images by their colours, whatever their types.
func sameRGBA(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// A project that names no dataset (an imported model) explains image files.
func TestSaliencyPaneExplainsAnImageFileWithoutADataset(t *testing.T) {
	pr := panetest.TrainedSample(t)
	pr.Dataset.Spec = ""
	_, sh, _ := panetest.Open(t, pr, ui.PaneSaliency, Pane)
	p := sh.Built[ui.PaneSaliency].(*salPane)
	if p.Model == nil || len(panetest.Find[*widgets.EmptyState](sh.Body, nil)) != 0 {
		t.Fatalf("no model or an empty state: %v", p.ModelErr)
	}
	path := filepath.Join(t.TempDir(), "boot.png")
	panetest.WritePNG(t, path, panetest.SampleData(t).Test.Picture(0))
	p.openFile(filepath.Join(t.TempDir(), "missing.png"))
	if p.x != nil || p.info.Text == "" {
		t.Fatalf("a missing file: image %v, %q", p.x != nil, p.info.Text)
	}
	p.openFile(path)
	p.job.Wait()
	if p.x == nil || p.label != -1 || !strings.Contains(p.info.Text, "the network says") {
		t.Fatalf("after opening a file: %q", p.info.Text)
	}
	test.Tap(p.run)
	p.job.Wait()
	if p.cells[2].m == nil {
		t.Fatalf("Grad-CAM of the file is missing: %q", p.info.Text)
	}
}

// The bias view explains up to N test images of each class and draws one
// cell per class whose map is a distribution over the image.
func TestSaliencyPaneBiasViewPerClass(t *testing.T) {
	p := loaded(t)
	v := p.bias
	v.per.SetText("none")
	test.Tap(v.run)
	if !strings.Contains(v.note.Text, `"none" images per class`) || p.job.Running() {
		t.Fatalf("bad count: %q", v.note.Text)
	}
	for _, method := range []string{"Saliency", "Grad-CAM"} {
		v.method.SetSelected(method)
		v.per.SetText("3")
		test.Tap(v.run)
		p.job.Wait()
		classes := len(p.S.Project.Dataset.Classes)
		if len(v.result) != classes || len(v.grid.Objects) != classes {
			t.Fatalf("%s: %d results, %d cells for %d classes (%q)", method, len(v.result), len(v.grid.Objects), classes, v.note.Text)
		}
		for _, b := range v.result {
			var sum float64
			for _, x := range b.Mean.V {
				sum += float64(x)
			}
			if b.Images != 3 || sum < 0.999 || sum > 1.001 || b.Mean.H != p.Model.In[1] {
				t.Fatalf("%s, class %d: %d images, map sums to %v", method, b.Class, b.Images, sum)
			}
		}
		if !strings.Contains(v.note.Text, "Most on the border") || !strings.Contains(v.cells[0].caption.Text, "border") {
			t.Fatalf("%s: note %q, caption %q", method, v.note.Text, v.cells[0].caption.Text)
		}
	}
}

// A second project's model explains the same image in a second row: its
// own maps, not copies of the first row's; a model of other images is
// refused with a reason.
func TestSaliencyPaneComparesTwoModels(t *testing.T) {
	p := loaded(t)
	other := panetest.TrainedSample(t)
	ts := make(map[string]projects.Tensor, len(other.Tensors))
	for k, v := range other.Tensors {
		if strings.HasPrefix(k, "weights/") && strings.HasSuffix(k, ".weight") {
			d := make([]float32, len(v.Data))
			for i, x := range v.Data {
				d[i] = x + 0.3*float32(math.Sin(float64(i)))
			}
			v = projects.Tensor{Shape: v.Shape, Data: d}
		}
		ts[k] = v
	}
	other.Tensors = ts
	path := filepath.Join(t.TempDir(), "other.wbproj")
	if err := projects.Save(other, path); err != nil {
		t.Fatal(err)
	}
	p.cmp.path.SetText(path)
	p.cmp.path.OnSubmitted(path)
	p.job.Wait()
	if p.cmp.model == nil || !p.cmp.second.Visible() || p.cmp.name != "other" {
		t.Fatalf("the second model did not load: %q", p.info.Text)
	}
	test.Tap(p.run)
	p.job.Wait()
	for i, c := range p.cmp.cells {
		if c.m == nil || p.cells[i].m == nil {
			t.Fatalf("%s: a row is missing its map (%q)", p.methods[i].title, p.info.Text)
		}
	}
	same := true
	for i, v := range p.cmp.cells[0].m.V {
		same = same && v == p.cells[0].m.V[i]
	}
	if same {
		t.Fatalf("the second model's saliency map equals the first's")
	}
	// Clearing drops the row.
	test.Tap(p.cmp.load)
	if p.cmp.model != nil || p.cmp.second.Visible() {
		t.Fatalf("the clear button left the second model")
	}
}
