package projects

import (
	"reflect"
	"strings"
	"testing"
)

// A run's snapshots: one per epoch while they fit the budget, then thinned
// to every 2nd, 4th… epoch with the first and the newest kept; the
// dropped ones' tensors go; they survive a save and an open.
func TestSnapshotsThinToTheBudget(t *testing.T) {
	p := New("snaps")
	p.Runs = []Run{{ID: "r1", Status: RunFinished}}
	// A model of SnapshotBudget/6 bytes: at most 6 snapshots fit.
	n := SnapshotBudget / 6 / 4
	for e := 1; e <= 20; e++ {
		w := map[string]Tensor{"fc.weight": {Shape: []int{n}, Data: make([]float32, n)}}
		w["fc.weight"].Data[0] = float32(e)
		p.AddSnapshot("r1", e, w)
		r := p.Run("r1")
		if size := len(r.Snapshots) * n * 4; size > SnapshotBudget {
			t.Fatalf("epoch %d: %d snapshots, %d bytes over the budget", e, len(r.Snapshots), size)
		}
		if ep := SnapshotEpochs(r); ep[0] != 1 || ep[len(ep)-1] != e {
			t.Fatalf("epoch %d: kept %v, want the first and the newest", e, ep)
		}
	}
	r := p.Run("r1")
	if r.SnapshotEvery != 4 || !reflect.DeepEqual(SnapshotEpochs(r), []int{1, 4, 8, 12, 16, 20}) {
		t.Fatalf("every %d: epochs %v", r.SnapshotEvery, SnapshotEpochs(r))
	}
	if s := SnapshotSchedule(r); !strings.Contains(s, "every 4th epoch") || !strings.Contains(s, "48 MB") {
		t.Errorf("schedule %q", s)
	}
	groups := 0
	for _, name := range p.TensorNames() {
		if strings.Contains(name, "/epoch-") {
			groups++
		}
	}
	if groups != 6 {
		t.Fatalf("%d snapshot tensors left, want 6", groups)
	}
	q := saveOpen(t, p)
	qr := q.Run("r1")
	if !reflect.DeepEqual(qr.Snapshots, r.Snapshots) || qr.SnapshotEvery != 4 {
		t.Fatalf("after reopen: %+v every %d", qr.Snapshots, qr.SnapshotEvery)
	}
	for _, s := range qr.Snapshots {
		if w := q.SnapshotWeights(s)["fc.weight"]; len(w.Data) != n || w.Data[0] != float32(s.Epoch) {
			t.Fatalf("epoch %d: weights %v…", s.Epoch, w.Data[:1])
		}
	}
	// Continuing from epoch 8 replaces what came after it.
	p.AddSnapshot("r1", 9, map[string]Tensor{"fc.weight": {Shape: []int{1}, Data: []float32{9}}})
	if got := SnapshotEpochs(p.Run("r1")); !reflect.DeepEqual(got, []int{1, 4, 8, 9}) {
		t.Fatalf("after continuing at 9: %v", got)
	}
	if !p.DeleteRun("r1") || len(p.TensorNames()) != 0 {
		t.Fatalf("tensors left after deleting the run: %v", p.TensorNames())
	}
}
