package classic

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/projects"
)

// k-NN and a linear classifier are recorded in the project; saved,
// reopened and with the dataset loaded again, the overview lists both and
// the k-NN tab shows the same cross-validation.
func TestClassicResultsSurviveAReopen(t *testing.T) {
	s, p := classicWithData(t)
	k := p.knn
	k.nTrain.SetText("200")
	k.nTest.SetText("40")
	k.folds.SetText("4")
	k.ks.SetText("1, 3")
	k.run()
	k.job.Wait()
	l := p.linear
	l.nTrain.SetText("200")
	l.nVal.SetText("50")
	l.search.SetText("2")
	l.iters.SetText("30")
	l.run()
	l.job.Wait()
	if len(p.results) != 2 || k.result == nil {
		t.Fatalf("results %+v", p.results)
	}
	rows := append([]classicResult(nil), p.results...)
	cv := k.result.cv
	picks := neighbourRows(k.result, knnRows)
	var nb [][]int
	for _, i := range picks {
		nb = append(nb, k.result.nb[i][:knnShown])
	}
	lin := l.result
	if len(picks) == 0 || lin == nil || len(lin.templates) == 0 {
		t.Fatalf("before the reopen: %d neighbour rows, linear %+v", len(picks), lin)
	}
	l.iters.SetText("999")
	l.loss.SetSelected("Softmax")
	k.nTrain.SetText("5000") // edited after the run: the reopen puts the k-NN settings back
	k.ks.SetText("7")
	path := filepath.Join(t.TempDir(), "c.wbproj")
	if err := projects.Save(s.Project, path); err != nil {
		t.Fatal(err)
	}
	q, err := projects.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.SetProject(q, path)
	s.SetDataset(panetest.SampleData(t))
	if len(p.results) != 2 || p.results[0] != rows[0] || p.results[1] != rows[1] {
		t.Fatalf("after reopen: %+v, were %+v", p.results, rows)
	}
	r := k.result
	if r == nil || len(r.cv) != len(cv) || r.best.K == 0 || r.cv[1].Mean != cv[1].Mean || !strings.Contains(k.msg.Text, "best k = ") {
		t.Fatalf("k-NN after reopen: %+v, message %q", r, k.msg.Text)
	}
	if k.nTrain.Text != "200" || k.nTest.Text != "40" || k.folds.Text != "4" || k.ks.Text != "1, 3" || k.metric.Selected != "L2" {
		t.Fatalf("k-NN settings after reopen: %q training, %q test, %q folds, k %q, %s", k.nTrain.Text, k.nTest.Text, k.folds.Text, k.ks.Text, k.metric.Selected)
	}
	if !strings.Contains(panetest.Texts(p.overview.Content), rows[1].method) {
		t.Fatal("the overview does not list the linear classifier")
	}
	// The neighbour grid: the same test images with the same neighbours,
	// over the same seeded subsets.
	if got := neighbourRows(r, knnRows); !reflect.DeepEqual(got, picks) || len(k.neighbours.Objects) != 1 {
		t.Fatalf("neighbour rows after reopen %v, were %v (grid %d)", got, picks, len(k.neighbours.Objects))
	}
	for j, i := range picks {
		if !reflect.DeepEqual(r.nb[i], nb[j]) || r.test.Labels[i] != k.result.test.Labels[i] {
			t.Fatalf("test image %d: neighbours %v, were %v", i, r.nb[i], nb[j])
		}
	}
	// The linear classifier: every setting in the table, the templates,
	// and the form as it ran.
	got := l.result
	if got == nil || len(l.rows) != len(lin.trials) || got.best.LR != lin.best.LR || got.best.Reg != lin.best.Reg || got.testAcc != lin.testAcc {
		t.Fatalf("linear after reopen: %+v, was %+v", got, lin)
	}
	if len(got.templates) != len(lin.templates) || len(l.templates.Objects) != 1 || got.templates[3].Bounds() != lin.templates[3].Bounds() {
		t.Fatalf("templates after reopen: %d, were %d", len(got.templates), len(lin.templates))
	}
	if !reflect.DeepEqual(got.pixels, lin.pixels) {
		t.Fatal("the templates' pixels changed over the reopen")
	}
	if l.iters.Text != "30" || l.search.Text != "2" || l.nTrain.Text != "200" || l.loss.Selected != "SVM" || l.msg.Text != lin.summary() {
		t.Fatalf("linear form after reopen: iterations %q, settings %q, training %q, loss %s; message %q", l.iters.Text, l.search.Text, l.nTrain.Text, l.loss.Selected, l.msg.Text)
	}
}

// Asking for more training images than the split has says so.
func TestLinearSaysWhenItUsesFewerTrainingImages(t *testing.T) {
	_, p := classicWithData(t)
	l := p.linear
	l.nTrain.SetText("100000")
	l.nVal.SetText("100")
	l.search.SetText("1")
	l.iters.SetText("10")
	l.run()
	l.job.Wait()
	if l.result == nil || !strings.Contains(l.msg.Text, "Asked for 100,000 training images") {
		t.Fatalf("message %q", l.msg.Text)
	}
}
