package filters

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

func TestFiltersPaneShowsFiltersWithACheckpointSlider(t *testing.T) {
	_, sh, p := panetest.OpenTrained[*filtersPane](t, ui.PaneFilters, Pane)
	if p.Model == nil || len(panetest.Find[*widgets.EmptyState](sh.Body, nil)) != 0 {
		t.Fatalf("a trained project shows an empty state (model error %v)", p.ModelErr)
	}
	f := p.filters
	if f.layer.Selected != "conv1" || len(f.layer.Options) != 2 {
		t.Fatalf("filter layers %q, selected %q; want conv1 and conv2", f.layer.Options, f.layer.Selected)
	}
	// conv1 has 32 grey 3x3 filters: enlarged to 12-pixel tiles, about square.
	last := f.view.Image()
	if last == nil || last.Bounds().Dx() < 6*12 || !strings.Contains(f.caption.Text, "32 filters of 3×3 over the grey input") {
		t.Fatalf("conv1 grid %v, caption %q", last, f.caption.Text)
	}
	// Two saved weight sets: the slider steps from epoch 2 back to epoch 1.
	if !f.slider.Visible() || f.slider.Max != 1 || f.slider.Value != 1 || !strings.Contains(f.step.Text, "epoch 2") {
		t.Fatalf("slider visible %v max %v value %v, label %q", f.slider.Visible(), f.slider.Max, f.slider.Value, f.step.Text)
	}
	f.slider.SetValue(0)
	if !strings.Contains(f.step.Text, "1 of 2") || !strings.Contains(f.step.Text, "epoch 1") || panetest.SamePixels(f.view.Image(), last) {
		t.Fatalf("after moving the slider: %q, same picture %v", f.step.Text, panetest.SamePixels(f.view.Image(), last))
	}
	// Deeper layers: a row per filter, a column per input channel.
	f.layer.SetSelected("conv2")
	if img := f.view.Image(); img == nil || img.Bounds().Dy() < 64*12 || !strings.Contains(f.caption.Text, "64 filters × 32 input channels") {
		t.Fatalf("conv2 grid %v, caption %q", img, f.caption.Text)
	}
}

func TestFiltersPaneLoadsTheDataAndShowsEveryLayersActivations(t *testing.T) {
	s, _, p := panetest.OpenTrained[*filtersPane](t, ui.PaneFilters, Pane)
	a := p.acts
	buttons := panetest.Find[*widget.Button](a.root, func(b *widget.Button) bool { return b.Text == "Load Bundled sample" })
	if len(buttons) != 1 {
		t.Fatalf("without data the activations ask to load it: %q", panetest.Texts(a.root))
	}
	test.Tap(buttons[0])
	p.DataJob.Wait()
	if s.Dataset == nil {
		t.Fatalf("the dataset was not loaded")
	}
	// Every layer but the input and flatten, computed off the UI goroutine.
	want := []string{"conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "fc1", "relu3", "fc2"}
	panetest.Eventually(t, "the activations", func() bool {
		fyne.DoAndWait(func() {})
		return len(a.flow.Objects) == len(want)
	})
	var sizes []fyne.Size
	fyne.DoAndWait(func() {
		texts := panetest.Texts(a.root)
		for _, id := range want {
			if !strings.Contains(texts, id+" · ") {
				t.Errorf("no activation grid titled %s", id)
			}
		}
		if !strings.Contains(texts, "Class: ") || !strings.Contains(texts, "The network says: ") {
			t.Errorf("the chosen image's class and prediction are missing: %q", texts)
		}
		for _, img := range panetest.Find[*canvas.Image](a.flow, nil) {
			sizes = append(sizes, img.MinSize())
		}
	})
	if len(sizes) != len(want) {
		t.Fatalf("%d grid images", len(sizes))
	}
	// conv1: 32 maps of 28x28 at the default zoom 1.
	if sizes[0].Width < 6*28 {
		t.Fatalf("conv1 grid shown %v", sizes[0])
	}
	// Zoom doubles every grid.
	fyne.DoAndWait(func() { a.zoom.SetSelected("2×") })
	if got := panetest.Find[*canvas.Image](a.flow, nil)[0].MinSize(); got.Width != 2*sizes[0].Width {
		t.Fatalf("at zoom 2 conv1 is %v, was %v", got, sizes[0])
	}

	// The next image of a class.
	set := a.set
	fyne.DoAndWait(func() { a.class.SetSelectedIndex(7) })
	if set.Labels[a.cur] != 7 || a.index.Text == "0" {
		t.Fatalf("choosing class 7 shows image %d of class %d", a.cur, set.Labels[a.cur])
	}
	prev := a.cur
	fyne.DoAndWait(func() { test.Tap(a.next) })
	if a.cur != prev+1 {
		t.Fatalf("next: image %d after %d", a.cur, prev)
	}
}

func TestFiltersPaneFindsTopPatchesCroppedByTheReceptiveField(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.TrainedSample(t), ui.PaneFilters, Pane)
	s.SetDataset(panetest.SampleData(t))
	p := sh.Built[ui.PaneFilters].(*filtersPane)
	v := p.patches
	if !strings.HasPrefix(v.layer.Selected, "conv2 · ") {
		t.Fatalf("the default layer is %q, want the last convolution", v.layer.Selected)
	}
	v.channel.SetText("3")
	v.top.SetText("4")
	v.start()
	v.job.Wait()
	if v.msg.Importance == widget.DangerImportance {
		t.Fatalf("patches failed: %s", v.msg.Text)
	}
	imgs := panetest.Find[*canvas.Image](v.result, nil)
	if len(imgs) != 4 {
		t.Fatalf("%d patches shown, want 4", len(imgs))
	}
	// conv2 after conv(3)-pool(2)-conv(3): a 8x8 field, every 2 pixels.
	if !strings.Contains(v.msg.Text, "Receptive field 8×8 pixels, 2 apart") {
		t.Fatalf("message %q", v.msg.Text)
	}
	for _, im := range imgs {
		if b := im.Image.Bounds(); b.Dx() != 8 || b.Dy() != 8 {
			t.Fatalf("a patch of conv2 is %v, want the 8x8 field", b)
		}
	}
	// A channel the layer does not have is refused.
	v.channel.SetText("64")
	v.start()
	if v.job.Running() || !strings.Contains(v.msg.Text, "Channel must be between 0 and 63") {
		t.Fatalf("channel 64: %q", v.msg.Text)
	}
}

func TestFiltersPaneShowsFeatureAndPixelNeighbours(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.TrainedSample(t), ui.PaneFilters, Pane)
	s.SetDataset(panetest.SampleData(t))
	v := sh.Built[ui.PaneFilters].(*filtersPane).neigh
	if !strings.HasPrefix(v.layer.Selected, "relu3 · ") {
		t.Fatalf("default layer %q, want the classifier's input relu3", v.layer.Selected)
	}
	v.queries.SetText("3")
	v.k.SetText("4")
	v.pool.SetText("300")
	v.start()
	v.job.Wait()
	texts := panetest.Texts(v.root)
	if !strings.Contains(texts, "Nearest by relu3 features") || !strings.Contains(texts, "Nearest by pixels") ||
		!strings.Contains(v.msg.Text, "by relu3 features") || !strings.Contains(v.msg.Text, "among 300 training images") {
		t.Fatalf("neighbours: %q / %q", texts, v.msg.Text)
	}
	// Three rows of 1 + 4 + 4 thumbnails; the queries are of different classes.
	if n := len(panetest.Find[*canvas.Image](v.result, nil)); n != 3*9 {
		t.Fatalf("%d thumbnails, want 27", n)
	}
	q := data.FirstPerClass(panetest.SampleData(t).Test, 3)
	ts := panetest.SampleData(t).Test
	if ts.Labels[q[0]] == ts.Labels[q[1]] || ts.Labels[q[1]] == ts.Labels[q[2]] {
		t.Fatalf("queries %v have classes %d %d %d", q, ts.Labels[q[0]], ts.Labels[q[1]], ts.Labels[q[2]])
	}
}

func TestFiltersPaneExplainsWeightsThatDoNotFitTheArchitecture(t *testing.T) {
	p := panetest.TrainedSample(t)
	w := p.Tensors["weights/conv2.weight"]
	p.Tensors["weights/conv2.weight"] = projects.Tensor{Shape: []int{64, 16, 3, 3}, Data: w.Data[:64*16*9]}
	_, sh, _ := panetest.Open(t, p, ui.PaneFilters, Pane)
	for _, id := range []string{ui.PaneFilters, ui.PaneEmbeddings} {
		e := sh.EmptyState(t, id)
		if !strings.Contains(e.Steps[0], "conv2.weight") || e.OnAction == nil {
			t.Fatalf("%s with misshapen weights: %q", id, e.Steps)
		}
	}
}

func TestInspectionPanesFollowANewlyTrainedModel(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.Sample(t), ui.PaneFilters, Pane)
	if e := sh.EmptyState(t, ui.PaneFilters); !strings.Contains(e.Steps[0], "Train a model first") {
		t.Fatalf("untrained: %q", e.Steps)
	}
	// Training writes weights into the project and marks it edited.
	tr := panetest.TrainedSample(t)
	for k, v := range tr.Tensors {
		s.Project.Tensors[k] = v
	}
	s.Project.Runs, s.Project.Dataset, s.Project.Preprocess = tr.Runs, tr.Dataset, tr.Preprocess
	s.MarkDirty()
	sh.Show(ui.PaneFilters)
	if es := panetest.Find[*widgets.EmptyState](sh.Body, nil); len(es) != 0 || sh.Built[ui.PaneFilters].(*filtersPane).filters.view.Image() == nil {
		t.Fatalf("after training the pane still shows an empty state")
	}
}

func TestRenderPreparesTheFiltersPaneWithResults(t *testing.T) {
	s, _, fp := panetest.OpenTrained[*filtersPane](t, ui.PaneFilters, Pane)
	fp.PrepareRender(context.Background())
	if s.Dataset == nil || len(fp.acts.flow.Objects) == 0 || fp.filters.view.Image() == nil {
		t.Fatalf("Filters pane prepared without activations or filters")
	}
}

// A run that kept a snapshot after each epoch: the slider has a step per
// stored snapshot, each showing that epoch's filters, the schedule said;
// the snapshots survive a save and an open.
func TestFiltersSliderStepsThroughTheRunsEpochSnapshots(t *testing.T) {
	pr := panetest.TrainedSample(t)
	pr.Runs = []projects.Run{{ID: "r1", Status: projects.RunFinished, Epochs: make([]projects.EpochMetrics, 5)}}
	cur := pr.Group(projects.GroupWeights)
	for e := 1; e <= 5; e++ {
		w := map[string]projects.Tensor{}
		for k, t := range cur {
			c := t.Clone()
			for i := range c.Data {
				c.Data[i] *= float32(e) / 5 // filters growing over the epochs
			}
			if k == "conv1.weight" {
				c.Data[0] = 0.5 // and one weight that stands out less each epoch
			}
			w[k] = c
		}
		pr.AddSnapshot("r1", e, w)
	}
	path := filepath.Join(t.TempDir(), "snaps.wbproj")
	if err := projects.Save(pr, path); err != nil {
		t.Fatal(err)
	}
	pr, err := projects.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, sh, _ := panetest.Open(t, pr, ui.PaneFilters, Pane)
	f := sh.Built[ui.PaneFilters].(*filtersPane).filters
	n := len(pr.Run("r1").Snapshots)
	if n != 5 || int(f.slider.Max)+1 != n || len(f.snaps) != n {
		t.Fatalf("%d snapshots stored, slider 0..%v, %d steps", n, f.slider.Max, len(f.snaps))
	}
	if !strings.Contains(f.step.Text, "5 of 5") || !strings.Contains(f.step.Text, "epoch 5") || !strings.Contains(f.caption.Text, "every epoch") {
		t.Fatalf("step %q, caption %q", f.step.Text, f.caption.Text)
	}
	last := f.view.Image()
	f.slider.SetValue(0)
	if !strings.Contains(f.step.Text, "1 of 5") || !strings.Contains(f.step.Text, "epoch 1") || panetest.SamePixels(f.view.Image(), last) {
		t.Fatalf("epoch 1: %q, same picture as epoch 5: %v", f.step.Text, panetest.SamePixels(f.view.Image(), last))
	}
}
