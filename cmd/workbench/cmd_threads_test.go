package main

import (
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/workbench-cv/workbench/projects"
)

// TestThreadsGiveTheSameBits: `train` (a BatchNorm CNN) and `knn` with
// --threads 1 and --threads 3 give the same weights, losses and figures,
// bit for bit (issue 13). GOMAXPROCS is raised so that three threads
// really run at once on a two-core machine.
func TestThreadsGiveTheSameBits(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	dir := t.TempDir()
	done := map[string]map[string]any{}
	for _, n := range []string{"1", "3"} {
		proj := filepath.Join(dir, "t"+n+".wbproj")
		code, out, errs := call(t, "train", "--data", "sample", "--limit-train", "240", "--val", "40", "--limit-test", "80", "--model", "bn-cnn",
			"--epochs", "1", "--batch", "40", "--seed", "5", "--threads", n, "--device", "cpu", "--json", "--save", proj)
		if code != 0 {
			t.Fatalf("train --threads %s: exit %d: %s", n, code, errs)
		}
		done[n] = lastJSON(t, out)
	}
	if a, b := done["1"], done["3"]; a["test_loss"] != b["test_loss"] || a["test_acc"] != b["test_acc"] {
		t.Errorf("test loss/accuracy: %v/%v on 1 thread, %v/%v on 3", a["test_loss"], a["test_acc"], b["test_loss"], b["test_acc"])
	}
	p1, err := projects.Open(filepath.Join(dir, "t1.wbproj"))
	if err != nil {
		t.Fatal(err)
	}
	p3, err := projects.Open(filepath.Join(dir, "t3.wbproj"))
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, "weights on 3 threads against 1", p1.Group(projects.GroupWeights), p3.Group(projects.GroupWeights))
	for i, l := range p1.Runs[0].Losses {
		if p3.Runs[0].Losses[i] != l {
			t.Fatalf("loss %d: %v on 1 thread, %v on 3", i, l, p3.Runs[0].Losses[i])
		}
	}

	knn := map[string]map[string]any{}
	for _, n := range []string{"1", "3"} {
		code, out, errs := call(t, "knn", "--data", "sample", "--limit-train", "300", "--limit-test", "60", "--seed", "3",
			"--k", "1,3,7", "--folds", "3", "--threads", n, "--json")
		if code != 0 {
			t.Fatalf("knn --threads %s: exit %d: %s", n, code, errs)
		}
		knn[n] = lastJSON(t, out)
	}
	for _, k := range []string{"best_k", "test_acc", "test_acc_by_k", "cv"} {
		if !reflect.DeepEqual(knn["1"][k], knn["3"][k]) {
			t.Errorf("knn %s: %v on 1 thread, %v on 3", k, knn["1"][k], knn["3"][k])
		}
	}
}
