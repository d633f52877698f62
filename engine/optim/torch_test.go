package optim

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// torchPython is Debian's interpreter with python3-torch; the python3 first
// on PATH may lack it.
const torchPython = "/usr/bin/python3"

// runTorch runs a Python script that reads JSON on stdin and prints JSON on
// stdout. It skips the test when torch is missing, unless CI=true.
func runTorch(t *testing.T, script string, in, out any) {
	t.Helper()
	if err := exec.Command(torchPython, "-c", "import torch").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PyTorch is required in CI (%s -c 'import torch': %v)", torchPython, err)
		}
		t.Skipf("PyTorch not available at %s (%v); install python3-torch to run the parity test", torchPython, err)
	}
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(torchPython, "-c", script)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("torch script failed: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("torch output: %v\n%s", err, strings.TrimSpace(stdout.String()))
	}
}
