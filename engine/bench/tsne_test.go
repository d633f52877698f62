package bench

import (
	"context"
	"errors"
	"testing"
)

func TestTSNEAgainstScikitLearn(t *testing.T) {
	needPython(t, "sklearn", "numpy")
	w, err := Get("tsne")
	if err != nil {
		t.Fatal(err)
	}
	r := Runner{Self: self(t)}
	rep, err := r.Run(context.Background(), w, "", Options{Threads: 2, Seed: 1,
		Params: map[string]string{"points": "300", "iterations": "300", "perplexity": "20", "features": "synthetic"}})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.DoneFields()
	for _, k := range []string{"workload", "ours", "peer", "ratio", "unit", "kl_ours", "kl_peer", "knn10_ours", "knn10_peer", "kl_peer_sklearn"} {
		if _, ok := f[k]; !ok {
			t.Errorf("done lacks %s: %v", k, f)
		}
	}
	if e, ok := f["compare_error"]; ok {
		t.Fatalf("comparison failed: %v", e)
	}
	t.Logf("done %v", f)
	klOurs, klPeer := f["kl_ours"].(float64), f["kl_peer"].(float64)
	accOurs, accPeer := f["knn10_ours"].(float64), f["knn10_peer"].(float64)
	// The same objective on the same P: the optima are close, and both
	// layouts keep the ten synthetic clusters apart.
	if !(klOurs > 0 && klPeer > 0) || klOurs > 1.1*klPeer || klPeer > 1.1*klOurs {
		t.Errorf("KL ours %v, scikit-learn's %v (scored the same way): more than 10%% apart", klOurs, klPeer)
	}
	if accOurs < 0.9 || accPeer < 0.9 || accOurs < accPeer-0.03 {
		t.Errorf("10-NN accuracy ours %v, scikit-learn's %v", accOurs, accPeer)
	}
	if f["unit"] != "seconds" || !(f["ours"].(float64) > 0) || !(f["ratio"].(float64) > 0) {
		t.Errorf("done %v", f)
	}
}

func TestTSNEBadSettingsAreUsageErrors(t *testing.T) {
	w, _ := Get("tsne")
	for _, p := range []map[string]string{{"points": "5"}, {"perplexity": "-3"}, {"init": "spectral"}, {"colour": "red"},
		{"points": "100", "perplexity": "40"}, {"features": "pixels"}} {
		if err := w.Validate(Options{Params: p}); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: error %v, want a usage error", p, err)
		}
	}
}
