package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/projects"
)

// train --adv makes a model that holds better under the PGD attack of
// 'workbench attack' than the same run without it.
func TestTrainAdvResistsAttack(t *testing.T) {
	dir := t.TempDir()
	underPGD := func(name string, adv ...string) float64 {
		proj := filepath.Join(dir, name+".wbproj")
		args := append([]string{"train", "--data", "sample", "--limit-train", "1000", "--limit-test", "100", "--model", "ref-cnn",
			"--epochs", "3", "--batch", "32", "--seed", "1", "--device", "cpu", "--json", "--save", proj}, adv...)
		if code, _, errs := call(t, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		code, out, errs := call(t, "attack", "--project", proj, "--data", "sample", "--method", "pgd", "--eps", "0.1",
			"--steps", "10", "--limit", "200", "--device", "cpu", "--json")
		if code != 0 {
			t.Fatalf("attack %s: exit %d: %s", name, code, errs)
		}
		done := lastJSON(t, out)
		t.Logf("%s: clean %v, under PGD %v", name, done["clean_acc"], done["adv_acc"])
		return done["adv_acc"].(float64)
	}
	std := underPGD("standard")
	adv := underPGD("robust", "--adv", "pgd", "--adv-eps", "0.1", "--adv-steps", "3")
	if adv < std+0.08 {
		t.Fatalf("under PGD: adversarially trained %.3f, standard %.3f", adv, std)
	}
	// Each run records how it was trained, so that the app reads the
	// robust run's curves as those of attacked batches after a reopen.
	for name, want := range map[string]*projects.AdversarialTraining{"standard": nil,
		"robust": {Method: "pgd", Eps: 0.1, Steps: 3}} {
		p, err := projects.Open(filepath.Join(dir, name+".wbproj"))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Runs[len(p.Runs)-1].Adversarial; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the run records adversarial training %+v, want %+v", name, got, want)
		}
	}
}

func TestTrainAdvFlagsAreChecked(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"--adv bim", "use pgd or fgsm"},
		{"--adv-eps 0.1", "needs --adv"},
		{"--adv pgd --adv-eps 0", "epsilon"},
		{"--adv pgd --adv-eps x", "--adv-eps"},
		{"--adv fgsm --backend torchrun", "torchrun"},
	} {
		code, _, errs := call(t, append([]string{"train", "--data", "sample"}, strings.Fields(tc.args)...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
