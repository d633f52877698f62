package app

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

var (
	trainedOnce sync.Once
	trainedProj *projects.Project
	trainedErr  error
)

// trainedSample is the sample project trained for two short epochs on 320
// images of the bundled sample, as the Train pane would leave it: current
// weights, channel-standardisation statistics, and a run whose best
// checkpoint (epoch 1) holds other weights than its last (epoch 2).
func trainedSample(t *testing.T) *projects.Project {
	t.Helper()
	ds := sampleData(t)
	trainedOnce.Do(func() { trainedProj, trainedErr = trainSample(ds) })
	if trainedErr != nil {
		t.Fatal(trainedErr)
	}
	return trainedProj.Clone()
}

func trainSample(ds *data.Dataset) (*projects.Project, error) {
	p, err := projects.Sample()
	if err != nil {
		return nil, err
	}
	tr := data.BalancedSubset(ds.Train, 320, 1)
	stats, err := data.FitStats(tr, data.NormChannelStd, data.StatsOptions{})
	if err != nil {
		return nil, err
	}
	m, err := nn.Build(p.Graph, []int{tr.C, tr.H, tr.W}, cpu.New(), 1, "default")
	if err != nil {
		return nil, err
	}
	state := func() map[string]projects.Tensor {
		out := map[string]projects.Tensor{}
		for k, v := range m.State() {
			out[k] = projects.Tensor{Shape: append([]int(nil), v.Shape...), Data: append([]float32(nil), v.Data()...)}
		}
		return out
	}
	epoch := func() error {
		tn, err := train.New(m, tr, nil, train.Config{Epochs: 1, Batch: 32, Seed: 1, Stats: stats, Workers: 1})
		if err != nil {
			return err
		}
		_, err = tn.Run(context.Background(), nil)
		return err
	}
	if err := epoch(); err != nil {
		return nil, err
	}
	p.SetGroup("runs/r1/best/weights", state())
	if err := epoch(); err != nil {
		return nil, err
	}
	p.SetGroup(projects.GroupWeights, state())
	p.Runs = append(p.Runs, projects.Run{ID: "r1", Status: projects.RunFinished, Checkpoints: []projects.Checkpoint{
		{Name: train.KindLast, Group: "runs/r1/last", Epoch: 2}, {Name: train.KindBest, Group: "runs/r1/best", Epoch: 1}}})
	p.Dataset.C, p.Dataset.H, p.Dataset.W = tr.C, tr.H, tr.W
	p.Dataset.Classes = tr.Classes
	p.Preprocess.Mode = projects.PreprocessChannelMeanStd
	p.Tensors[projects.TensorPreprocessMean] = projects.Tensor{Shape: []int{tr.C}, Data: stats.Mean}
	p.Tensors[projects.TensorPreprocessStd] = projects.Tensor{Shape: []int{tr.C}, Data: stats.Std}
	return p, nil
}

// eventually polls cond on the test goroutine until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func samePixels(a, b image.Image) bool {
	if a == nil || b == nil || a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

func TestFiltersPaneShowsFiltersWithACheckpointSlider(t *testing.T) {
	_, sh, _ := paneShell(t, trainedSample(t), PaneFilters)
	p := sh.built[PaneFilters].(*filtersPane)
	if p.model == nil || len(find[*widgets.EmptyState](sh.body, nil)) != 0 {
		t.Fatalf("a trained project shows an empty state (model error %v)", p.modelErr)
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
	if !strings.Contains(f.step.Text, "1 of 2") || !strings.Contains(f.step.Text, "epoch 1") || samePixels(f.view.Image(), last) {
		t.Fatalf("after moving the slider: %q, same picture %v", f.step.Text, samePixels(f.view.Image(), last))
	}
	// Deeper layers: a row per filter, a column per input channel.
	f.layer.SetSelected("conv2")
	if img := f.view.Image(); img == nil || img.Bounds().Dy() < 64*12 || !strings.Contains(f.caption.Text, "64 filters × 32 input channels") {
		t.Fatalf("conv2 grid %v, caption %q", img, f.caption.Text)
	}
}

func TestFiltersPaneLoadsTheDataAndShowsEveryLayersActivations(t *testing.T) {
	s, sh, _ := paneShell(t, trainedSample(t), PaneFilters)
	p := sh.built[PaneFilters].(*filtersPane)
	a := p.acts
	buttons := find[*widget.Button](a.root, func(b *widget.Button) bool { return b.Text == "Load Bundled sample" })
	if len(buttons) != 1 {
		t.Fatalf("without data the activations ask to load it: %q", shownTexts(a.root))
	}
	test.Tap(buttons[0])
	p.dataJob.wait()
	if s.Dataset == nil {
		t.Fatalf("the dataset was not loaded")
	}
	// Every layer but the input and flatten, computed off the UI goroutine.
	want := []string{"conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "fc1", "relu3", "fc2"}
	eventually(t, "the activations", func() bool {
		fyne.DoAndWait(func() {})
		return len(a.flow.Objects) == len(want)
	})
	var sizes []fyne.Size
	fyne.DoAndWait(func() {
		texts := shownTexts(a.root)
		for _, id := range want {
			if !strings.Contains(texts, id+" · ") {
				t.Errorf("no activation grid titled %s", id)
			}
		}
		if !strings.Contains(texts, "Class: ") || !strings.Contains(texts, "The network says: ") {
			t.Errorf("the chosen image's class and prediction are missing: %q", texts)
		}
		for _, img := range find[*canvas.Image](a.flow, nil) {
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
	if got := find[*canvas.Image](a.flow, nil)[0].MinSize(); got.Width != 2*sizes[0].Width {
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
	s, sh, _ := paneShell(t, trainedSample(t), PaneFilters)
	s.SetDataset(sampleData(t))
	p := sh.built[PaneFilters].(*filtersPane)
	v := p.patches
	if !strings.HasPrefix(v.layer.Selected, "conv2 · ") {
		t.Fatalf("the default layer is %q, want the last convolution", v.layer.Selected)
	}
	v.channel.SetText("3")
	v.top.SetText("4")
	v.start()
	v.job.wait()
	if v.msg.Importance == widget.DangerImportance {
		t.Fatalf("patches failed: %s", v.msg.Text)
	}
	imgs := find[*canvas.Image](v.result, nil)
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
	if v.job.running() || !strings.Contains(v.msg.Text, "Channel must be between 0 and 63") {
		t.Fatalf("channel 64: %q", v.msg.Text)
	}
}

func TestFiltersPaneShowsFeatureAndPixelNeighbours(t *testing.T) {
	s, sh, _ := paneShell(t, trainedSample(t), PaneFilters)
	s.SetDataset(sampleData(t))
	v := sh.built[PaneFilters].(*filtersPane).neigh
	if !strings.HasPrefix(v.layer.Selected, "relu3 · ") {
		t.Fatalf("default layer %q, want the classifier's input relu3", v.layer.Selected)
	}
	v.queries.SetText("3")
	v.k.SetText("4")
	v.pool.SetText("300")
	v.start()
	v.job.wait()
	texts := shownTexts(v.root)
	if !strings.Contains(texts, "Nearest by relu3 features") || !strings.Contains(texts, "Nearest by pixels") ||
		!strings.Contains(v.msg.Text, "by relu3 features") || !strings.Contains(v.msg.Text, "among 300 training images") {
		t.Fatalf("neighbours: %q / %q", texts, v.msg.Text)
	}
	// Three rows of 1 + 4 + 4 thumbnails; the queries are of different classes.
	if n := len(find[*canvas.Image](v.result, nil)); n != 3*9 {
		t.Fatalf("%d thumbnails, want 27", n)
	}
	q := inspSpreadQueries(sampleData(t).Test, 3)
	ts := sampleData(t).Test
	if ts.Labels[q[0]] == ts.Labels[q[1]] || ts.Labels[q[1]] == ts.Labels[q[2]] {
		t.Fatalf("queries %v have classes %d %d %d", q, ts.Labels[q[0]], ts.Labels[q[1]], ts.Labels[q[2]])
	}
}

func TestFiltersPaneExplainsWeightsThatDoNotFitTheArchitecture(t *testing.T) {
	p := trainedSample(t)
	w := p.Tensors["weights/conv2.weight"]
	p.Tensors["weights/conv2.weight"] = projects.Tensor{Shape: []int{64, 16, 3, 3}, Data: w.Data[:64*16*9]}
	_, sh, _ := paneShell(t, p, PaneFilters)
	for _, id := range []string{PaneFilters, PaneEmbeddings} {
		e := emptyState(t, sh, id)
		if !strings.Contains(e.Steps[0], "conv2.weight") || e.OnAction == nil {
			t.Fatalf("%s with misshapen weights: %q", id, e.Steps)
		}
	}
}

func TestInspectionPanesFollowANewlyTrainedModel(t *testing.T) {
	s, sh, _ := paneShell(t, sample(t), PaneFilters)
	if e := emptyState(t, sh, PaneFilters); !strings.Contains(e.Steps[0], "Train a model first") {
		t.Fatalf("untrained: %q", e.Steps)
	}
	// Training writes weights into the project and marks it edited.
	tr := trainedSample(t)
	for k, v := range tr.Tensors {
		s.Project.Tensors[k] = v
	}
	s.Project.Runs, s.Project.Dataset, s.Project.Preprocess = tr.Runs, tr.Dataset, tr.Preprocess
	s.MarkDirty()
	sh.show(PaneFilters)
	if es := find[*widgets.EmptyState](sh.body, nil); len(es) != 0 || sh.built[PaneFilters].(*filtersPane).filters.view.Image() == nil {
		t.Fatalf("after training the pane still shows an empty state")
	}
}

func TestEmbeddingsPaneRunsTSNEAndPCAWithMeasuresAndExports(t *testing.T) {
	s, sh, _ := paneShell(t, trainedSample(t), PaneEmbeddings)
	p := sh.built[PaneEmbeddings].(*embeddingsPane)
	if len(find[*widget.Button](p.root, func(b *widget.Button) bool { return b.Text == "Load Bundled sample" })) != 1 {
		t.Fatalf("without data the pane asks to load it: %q", shownTexts(p.root))
	}
	s.SetDataset(sampleData(t))
	if !strings.HasPrefix(p.layer.Selected, "relu3 · ") || p.method.Selected != embedTSNE {
		t.Fatalf("defaults: layer %q method %q", p.layer.Selected, p.method.Selected)
	}
	p.points.SetText("300")
	p.iters.SetText("300")
	p.start()
	p.job.wait()
	if p.msg.Visible() {
		t.Fatalf("t-SNE failed: %s", p.msg.Text)
	}
	r := p.res
	if r == nil || r.set.Len() != 300 || p.scatter.Len() != 300 || r.iterations != 300 || r.grid == nil || r.cols != 17 {
		t.Fatalf("result %+v, scatter %d points", r, p.scatter.Len())
	}
	// The classes separate in the map about as well as in the features.
	if r.knn2D < 0.5 || r.knnFeatures < 0.5 || r.knn2D < r.knnFeatures-0.15 {
		t.Fatalf("10-NN accuracy %.3f in 2-D, %.3f in the features", r.knn2D, r.knnFeatures)
	}
	if p.fig2D.value.Text == "–" || !strings.HasSuffix(p.fig2D.value.Text, "%") || p.figFit.caption.Text != "KL divergence" ||
		!strings.Contains(p.figFeat.caption.Text, "128-D") || len(p.legend.Objects) != 11 {
		t.Fatalf("figures %q %q %q, legend %d rows", p.fig2D.value.Text, p.figFit.caption.Text, p.figFeat.caption.Text, len(p.legend.Objects))
	}
	if p.exportCSV.Disabled() || p.exportScat.Disabled() || p.exportGrid.Disabled() {
		t.Fatalf("exports disabled after a run")
	}
	var csv bytes.Buffer
	if err := r.writeCSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 301 || !strings.HasPrefix(lines[0], "index,x,y,label,class") {
		t.Fatalf("CSV: %d lines, header %q", len(lines), lines[0])
	}
	var pic bytes.Buffer
	if err := writePNGTo(&pic, p.scatter.Picture(2, nil)); err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(&pic); err != nil || img.Bounds().Dx() != int(2*p.scatter.Size().Width) {
		t.Fatalf("scatter PNG: %v %v", err, img)
	}

	// Hovering a point shows its image; a region lists its images.
	first := p.scatter.PointPosition(0)
	p.scatter.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: first}})
	if p.scatter.Hovered() != 0 {
		t.Fatalf("hovering point 0 at %v hovers %d", first, p.scatter.Hovered())
	}
	all := p.scatter.InBox(fyne.NewPos(0, 0), fyne.NewPos(p.scatter.Size().Width/2, p.scatter.Size().Height))
	p.scatter.Select(all)
	p.selected(all)
	if !p.selPanel.Visible() || !strings.Contains(p.selLabel.Text, thousands(len(all))+" images selected: ") || p.selGrid.Length() != len(all) {
		t.Fatalf("selection of %d: panel %v, %q", len(all), p.selPanel.Visible(), p.selLabel.Text)
	}

	// PCA keeps its variance share instead of a divergence.
	p.method.SetSelected(embedPCA)
	if !p.perplexity.Disabled() {
		t.Fatalf("t-SNE settings stay enabled for PCA")
	}
	p.start()
	p.job.wait()
	if p.res == r || p.res.settings.method != embedPCA || p.figFit.caption.Text != "variance kept by 2 components" || p.selPanel.Visible() {
		t.Fatalf("PCA: caption %q, selection shown %v", p.figFit.caption.Text, p.selPanel.Visible())
	}
}

func TestEmbeddingsPaneRefusesBadSettings(t *testing.T) {
	s, sh, _ := paneShell(t, trainedSample(t), PaneEmbeddings)
	s.SetDataset(sampleData(t))
	p := sh.built[PaneEmbeddings].(*embeddingsPane)
	for _, tc := range []struct {
		field      *widget.Entry
		text, want string
	}{
		{p.lr, "fast", `Learning rate: "fast" is neither "auto" nor a positive number`},
		{p.points.Entry, "20000", "Points must be between 10 and 10,000"},
		{p.perplexity.Entry, "0", "Perplexity must be between 1 and 200"},
	} {
		old := tc.field.Text
		tc.field.SetText(tc.text)
		p.start()
		if p.job.running() || !p.msg.Visible() || !strings.Contains(p.msg.Text, tc.want) {
			t.Errorf("%s: message %q, want %q", tc.text, p.msg.Text, tc.want)
		}
		tc.field.SetText(old)
	}
	// A perplexity as large as the points is explained by the run.
	p.points.SetText("20")
	p.perplexity.SetText("30")
	p.start()
	p.job.wait()
	if !strings.Contains(p.msg.Text, "perplexity (30) must be less than the number of points") {
		t.Fatalf("perplexity 30 for 20 points: %q", p.msg.Text)
	}
}

func TestTSNECanBeCancelledWhileTheUIStaysResponsive(t *testing.T) {
	s, sh, _ := paneShell(t, trainedSample(t), PaneEmbeddings)
	s.SetDataset(sampleData(t))
	p := sh.built[PaneEmbeddings].(*embeddingsPane)
	p.split.SetSelected("Training")
	p.points.SetText("1500")
	p.iters.SetText("10000")
	var started time.Time
	fyne.DoAndWait(func() {
		started = time.Now()
		p.start()
	})
	// start returned while the job runs: the work is on another goroutine.
	if !p.job.running() {
		t.Fatalf("the t-SNE job is not running after start returned (in %v)", time.Since(started))
	}
	// The layout is shown live while it optimises, and the UI answers.
	eventually(t, "a live layout", func() bool {
		p.liveMu.Lock()
		defer p.liveMu.Unlock()
		return p.liveShown >= 2
	})
	fyne.DoAndWait(func() {
		if p.scatter.Len() != 1500 || !strings.Contains(p.scatterHd.Text, "optimising") {
			t.Errorf("live scatter: %d points, %q", p.scatter.Len(), p.scatterHd.Text)
		}
		p.scatter.ZoomAt(2, fyne.NewPos(100, 100))
		p.points.SetText("1000")
	})
	fyne.DoAndWait(func() { p.job.Cancel() })
	p.job.wait()
	if p.job.running() || p.res == nil || !p.res.cancelled || !strings.Contains(p.msg.Text, "Cancelled after") || p.run.Disabled() {
		t.Fatalf("after Cancel: running %v, result %v, message %q", p.job.running(), p.res != nil, p.msg.Text)
	}
	if p.res.iterations >= 10000 || p.scatter.Len() != 1500 {
		t.Fatalf("cancelled run went %d iterations, shows %d points", p.res.iterations, p.scatter.Len())
	}
}

func TestRenderPreparesTheInspectionPanesWithResults(t *testing.T) {
	s, sh, _ := paneShell(t, trainedSample(t), PaneFilters)
	fp := sh.built[PaneFilters].(*filtersPane)
	fp.PrepareRender(context.Background())
	if s.Dataset == nil || len(fp.acts.flow.Objects) == 0 || fp.filters.view.Image() == nil {
		t.Fatalf("Filters pane prepared without activations or filters")
	}
	sh.show(PaneEmbeddings)
	ep := sh.built[PaneEmbeddings].(*embeddingsPane)
	ep.iters.SetText("250")
	ep.PrepareRender(context.Background())
	// The sample's test split has fewer than 1,500 images: all are embedded.
	if ep.res == nil || ep.res.set.Len() != sampleData(t).Test.Len() || ep.grid.Image() == nil || ep.res.settings.method != embedTSNE {
		t.Fatalf("Embeddings pane prepared without a t-SNE result: %v", ep.msg.Text)
	}
}
