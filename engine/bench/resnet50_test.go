package bench

import (
	"math"
	"testing"
)

func r50Result(rows ...r50Row) Result {
	return Result{Value: rows[len(rows)-1].IPS, Fields: map[string]any{"rows": rows}}
}

func TestCompareResNet50UsesTheSmallestRatio(t *testing.T) {
	ours := r50Result(r50Row{Case: "fwd", Batch: 1, IPS: 10}, r50Row{Case: "fwdbwd", Batch: 1, IPS: 3}, r50Row{Case: "fwd", Batch: 16, IPS: 20})
	peer := r50Result(r50Row{Case: "fwd", Batch: 1, IPS: 5}, r50Row{Case: "fwdbwd", Batch: 1, IPS: 4}, r50Row{Case: "fwd", Batch: 16, IPS: 10})
	c := compareResNet50(ours, &peer)
	if c.Ratio != 0.75 || c.Ours != 3 || c.Peer != 4 {
		t.Errorf("ratio %v ours %v peer %v, want 0.75 at fwdbwd b1 (3 against 4)", c.Ratio, c.Ours, c.Peer)
	}
	if c.Fields["ratio_fwd_b16"] != 2.0 || c.Fields["ratio_fwd_b1"] != 2.0 {
		t.Errorf("per-case ratios %v", c.Fields)
	}
	if c := compareResNet50(ours, nil); !math.IsNaN(c.Ratio) {
		t.Errorf("without a peer the ratio is %v, want NaN", c.Ratio)
	}
}

func TestMergeResNet50KeepsTheBestOfEachCase(t *testing.T) {
	a := r50Result(r50Row{Case: "fwd", Batch: 1, IPS: 10}, r50Row{Case: "fwdbwd", Batch: 1, IPS: 3})
	b := r50Result(r50Row{Case: "fwd", Batch: 1, IPS: 8}, r50Row{Case: "fwdbwd", Batch: 1, IPS: 5})
	m := r50Rows(ptr(mergeResNet50(a, b)))
	if len(m) != 2 || m[0].IPS != 10 || m[1].IPS != 5 {
		t.Errorf("merged %+v, want fwd 10 and fwdbwd 5", m)
	}
}

func ptr(r Result) *Result { return &r }

func TestResNet50RejectsBadBatches(t *testing.T) {
	for _, n := range []int{0, -1, maxResNet50Batch + 1} {
		if err := validateResNet50(Options{Sizes: []int{n}}); err == nil {
			t.Errorf("batch %d accepted", n)
		}
	}
}
