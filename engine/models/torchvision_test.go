package models

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The Debian interpreter with torch and torchvision (the python3 first on
// PATH may lack them).
const python = "/usr/bin/python3"

// noInit makes torchvision's constructors skip weight initialisation: counts
// and shapes do not depend on it, and VGG's takes seconds.
const noInit = `
import sys, json
try:
    import torch, torchvision.models as M
except ImportError as e:
    print("MISSING:", e, file=sys.stderr)
    sys.exit(3)
import torch.nn.init as I
for f in ["normal_", "kaiming_normal_", "kaiming_uniform_", "constant_", "uniform_",
          "trunc_normal_", "xavier_uniform_", "zeros_", "ones_"]:
    setattr(I, f, lambda t, *a, **k: t)

def make(name, classes):
    kw = {"weights": None, "num_classes": classes}
    if name in ("googlenet", "inception_v3"):
        kw.update(aux_logits=False, init_weights=False)
    return getattr(M, name)(**kw)
`

// runPython runs script with stdin and returns its stdout. It skips the test
// when torch or torchvision is missing, unless CI=true, then it fails.
func runPython(t *testing.T, script string, stdin []byte) []byte {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("torchvision is needed for this test (CI=true): %s; install python3-torchvision", why)
		}
		t.Skipf("skipping: %s (install Debian's python3-torchvision to run this test)", why)
	}
	if _, err := os.Stat(python); err != nil {
		missing(python + " not found")
	}
	cmd := exec.Command(python, "-c", noInit+script)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if strings.Contains(errb.String(), "MISSING:") {
			missing(strings.TrimSpace(errb.String()))
		}
		t.Fatalf("python: %v\n%s", err, errb.String())
	}
	return out.Bytes()
}

// tvModel is what torchvision says about one model at 1000 classes.
type tvModel struct {
	Params int64            `json:"params"`
	Shapes map[string][]int `json:"shapes"`
}

// torchvisionModels asks one python process about every named model.
func torchvisionModels(t *testing.T, names []string) map[string]tvModel {
	t.Helper()
	in, _ := json.Marshal(names)
	out := runPython(t, `
res = {}
for name in json.load(sys.stdin):
    m = make(name, 1000)
    res[name] = {"params": sum(p.numel() for p in m.parameters()),
                 "shapes": {k: list(p.shape) for k, p in m.named_parameters()}}
json.dump(res, sys.stdout)
`, in)
	var res map[string]tvModel
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python output: %v: %.200s", err, out)
	}
	return res
}
