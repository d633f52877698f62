package main

import "testing"

// workbench gradcheck --model ref-cnn --json reports every parameter
// tensor with its largest relative error, all below 1e-3.
func TestGradcheckRefCNN(t *testing.T) {
	code, out, errs := call(t, "gradcheck", "--model", "ref-cnn", "--input", "1,28,28", "--classes", "10", "--device", "cpu", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := lastJSON(t, out)
	tensors, _ := d["tensors"].([]any)
	if len(tensors) != 8 {
		t.Fatalf("%d tensors, ref-cnn has 8 parameter tensors: %v", len(tensors), d)
	}
	worst := 0.0
	for _, x := range tensors {
		tr := x.(map[string]any)
		e, _ := tr["max_rel_error"].(float64)
		worst = max(worst, e)
		if name, _ := tr["name"].(string); name == "" || e >= 1e-3 {
			t.Errorf("%s: max_rel_error %.2e, want below 1e-3", name, e)
		}
	}
	if m, _ := d["max_rel_error"].(float64); m != worst || m >= 1e-3 || d["verdict"] != "pass" {
		t.Errorf("max_rel_error %v (tensors' worst %v), verdict %v", d["max_rel_error"], worst, d["verdict"])
	}
}

func TestGradcheckBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"gradcheck"},
		{"gradcheck", "--model", "nope"},
		{"gradcheck", "--model", "ref-cnn", "--eps", "0"},
		{"gradcheck", "--model", "ref-cnn", "--layer", "pool1"},
	} {
		if code, _, errs := call(t, args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errs)
		}
	}
}
