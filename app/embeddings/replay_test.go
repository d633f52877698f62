package embeddings

import (
	"math"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/projects"
)

// A run that kept three snapshots (fresh weights, half-way, trained):
// the replay gives one map per snapshot, in epoch order, on the slider.
func TestReplayMapsALayerAtEverySnapshot(t *testing.T) {
	pr := panetest.TrainedSample(t)
	trained := pr.Group(projects.GroupWeights)
	fresh, err := nn.Build(pr.Graph, []int{1, 28, 28}, cpu.New(), 7, "default")
	if err != nil {
		t.Fatal(err)
	}
	start := map[string]projects.Tensor{}
	for k, v := range fresh.State() {
		start[k] = projects.Tensor{Shape: append([]int(nil), v.Shape...), Data: v.Data()}
	}
	half := map[string]projects.Tensor{}
	for k, v := range trained {
		h := v.Clone()
		if s, ok := start[k]; ok && len(s.Data) == len(h.Data) {
			for i := range h.Data {
				h.Data[i] = (h.Data[i] + s.Data[i]) / 2
			}
		}
		half[k] = h
	}
	pr.Runs = []projects.Run{{ID: "r1", Status: projects.RunFinished, Epochs: make([]projects.EpochMetrics, 3)}}
	for e, w := range []map[string]projects.Tensor{start, half, trained} {
		pr.AddSnapshot("r1", e+1, w)
	}
	s, sh, _ := panetest.Open(t, pr, ui.PaneEmbeddings, Pane)
	p := sh.Built[ui.PaneEmbeddings].(*embeddingsPane)
	s.SetDataset(panetest.SampleData(t))
	if p.replay.button.Disabled() {
		t.Fatal("the replay is disabled for a run with three snapshots")
	}
	p.points.SetText("200")
	p.iters.SetText("250")
	p.startReplay()
	p.job.Wait()
	if p.msg.Visible() {
		t.Fatalf("replay failed: %s", p.msg.Text)
	}
	steps := p.replay.steps
	if n := len(pr.Run("r1").Snapshots); len(steps) != n || n != 3 || int(p.replay.slider.Max)+1 != n || !p.replay.box.Visible() {
		t.Fatalf("%d maps for %d snapshots, slider 0..%v", len(steps), n, p.replay.slider.Max)
	}
	for i, st := range steps {
		if st.epoch != i+1 || len(st.res.layout) != 400 || st.res.grid == nil {
			t.Fatalf("step %d: epoch %d, %d coordinates", i, st.epoch, len(st.res.layout))
		}
	}
	first, last := steps[0].res, steps[2].res
	t.Logf("10-NN in the features: %.3f fresh, %.3f trained; in the map %.3f, %.3f", first.knnFeatures, last.knnFeatures, first.knn2D, last.knn2D)
	// Each map is of its own weights (the sample is trained too briefly
	// for its classes to separate much more than in fresh features).
	same := true
	for i := range first.layout {
		same = same && first.layout[i] == steps[1].res.layout[i]
	}
	if same || first.knnFeatures == steps[1].res.knnFeatures && first.knnFeatures == last.knnFeatures {
		t.Error("the maps do not differ: the snapshots' weights were not used")
	}
	p.replay.slider.SetValue(0)
	if p.res != first || p.scatter.Len() != 200 {
		t.Fatalf("the slider at 0 does not show the first map")
	}
}

// alignTo undoes a rotation, a reflection, a scaling and a shift.
func TestAlignToUndoesRotationReflectionAndScale(t *testing.T) {
	ref := []float64{0, 0, 3, 1, -1, 2, 4, -2, 1, 5}
	y := make([]float64, len(ref))
	c, s := math.Cos(1.1), math.Sin(1.1)
	for i := 0; i < len(ref)/2; i++ {
		x, z := ref[2*i], -ref[2*i+1] // reflected
		y[2*i], y[2*i+1] = 0.3*(c*x-s*z)+7, 0.3*(s*x+c*z)-2
	}
	alignTo(y, ref)
	for i := range y {
		if math.Abs(y[i]-ref[i]) > 1e-9 {
			t.Fatalf("aligned %v, want %v", y, ref)
		}
	}
}
