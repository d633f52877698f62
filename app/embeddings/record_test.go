package embeddings

import (
	"path/filepath"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/projects"
)

// A t-SNE map is recorded in the project with its coordinates; saved,
// reopened and with the dataset loaded again, the pane shows the same
// points over the same images.
func TestTSNEMapSurvivesAReopen(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.TrainedSample(t), ui.PaneEmbeddings, Pane)
	p := sh.Built[ui.PaneEmbeddings].(*embeddingsPane)
	s.SetDataset(panetest.SampleData(t))
	p.points.SetText("200")
	p.iters.SetText("250")
	p.start()
	p.job.Wait()
	r := p.res
	if r == nil || len(s.Project.Results.Maps) != 1 {
		t.Fatalf("result %v, %d maps recorded", r != nil, len(s.Project.Results.Maps))
	}
	p.points.SetText("2000") // edited after the run: the reopen puts the map's settings back
	p.iters.SetText("1000")
	path := filepath.Join(t.TempDir(), "e.wbproj")
	if err := projects.Save(s.Project, path); err != nil {
		t.Fatal(err)
	}
	q, err := projects.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.SetProject(q, path)
	s.SetDataset(panetest.SampleData(t))
	got := p.res
	if got == nil || got == r || len(got.layout) != len(r.layout) || got.settings.layer != r.settings.layer {
		t.Fatalf("after reopen: %+v", got)
	}
	for i := range r.layout {
		if float32(got.layout[i]) != float32(r.layout[i]) {
			t.Fatalf("coordinate %d: %v, was %v", i, got.layout[i], r.layout[i])
		}
	}
	for i := range r.set.Labels {
		if got.set.Labels[i] != r.set.Labels[i] {
			t.Fatalf("point %d is another image's", i)
		}
	}
	if p.points.Text != "200" || p.iters.Text != "250" || p.lr.Text != "auto" || p.split.Selected != "Test" {
		t.Fatalf("settings after reopen: points %q, iterations %q, learning rate %q, split %q", p.points.Text, p.iters.Text, p.lr.Text, p.split.Selected)
	}
	if p.scatter.Len() != 200 || got.kl != r.kl {
		t.Fatalf("scatter %d points, KL %v was %v", p.scatter.Len(), got.kl, r.kl)
	}
}
