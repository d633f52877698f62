package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
)

//go:embed attack_torch.py
var attackTorchPy []byte

// sharedStart draws the random start of PGD once, so that both
// implementations begin from the same perturbation.
func sharedStart(cfg adversarial.Config, n, d int) []float32 {
	start := make([]float32, n*d)
	if !cfg.RandomStart || cfg.Method != adversarial.PGD {
		return start
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x57a7))
	for i := range start {
		start[i] = float32((rng.Float64()*2 - 1) * cfg.Eps)
	}
	if cfg.Norm == adversarial.L2 { // a point inside the L2 ball
		for i := range n {
			row := start[i*d : (i+1)*d]
			var s float64
			for _, v := range row {
				s += float64(v) * float64(v)
			}
			if s > 0 {
				k := float32(cfg.Eps * rng.Float64() / math.Sqrt(s))
				for j := range row {
					row[j] *= k
				}
			}
		}
	}
	return start
}

// attackInPyTorch runs the same attack with PyTorch on the exported model
// and returns its clean and adversarial accuracy.
func attackInPyTorch(ctx context.Context, t *attribTarget, labels, goal []int, cfg adversarial.Config) (clean, adv float64, err error) {
	st := t.net.Stats
	in := t.net.Input()
	c := in[0]
	mean, std := make([]float32, c), make([]float32, c)
	meanShape, stdShape := []int{c, 1, 1}, []int{c, 1, 1}
	for i := range std {
		std[i] = 1
	}
	switch {
	case st == nil || st.Norm == data.NormNone:
	case st.Norm == data.NormChannelMean || st.Norm == data.NormChannelStd:
		copy(mean, st.Mean)
		if st.Norm == data.NormChannelStd {
			copy(std, st.Std)
		}
	case st.Norm == data.NormMeanImage:
		mean, meanShape = st.Mean, in
	default:
		return 0, 0, usageErrorf("--against pytorch: the project's %s preprocessing has no PyTorch twin here; it supports none, mean-image and per-channel normalisation", st.Norm)
	}
	dir, err := os.MkdirTemp("", "workbench-attack-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	if _, _, err := pytorch.ExportModel(dir, t.net.Model.Graph, in, t.net.Model.State(), "attack peer"); err != nil {
		return 0, 0, usageErrorf("--against pytorch: the model cannot be exported: %v", err)
	}
	ints := func(v []int) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	shape := append([]int{t.n}, in...)
	arrays := map[string]*npy.Array{
		"x.npy": npy.FromFloat32(shape, t.x), "labels.npy": npy.FromFloat32([]int{t.n}, ints(labels)),
		"goal.npy": npy.FromFloat32([]int{t.n}, ints(goal)), "start.npy": npy.FromFloat32(shape, cfg.Start),
		"mean.npy": npy.FromFloat32(meanShape, mean), "std.npy": npy.FromFloat32(stdShape, std),
	}
	for name, a := range arrays {
		if err := writeNPY(filepath.Join(dir, name), a); err != nil {
			return 0, 0, err
		}
	}
	spec, _ := json.Marshal(map[string]any{"norm": cfg.Norm, "eps": cfg.Eps, "step": cfg.StepSize, "steps": cfg.Steps, "targeted": cfg.Targeted})
	if err := os.WriteFile(filepath.Join(dir, "spec.json"), spec, 0o644); err != nil {
		return 0, 0, err
	}
	script := filepath.Join(dir, "attack_torch.py")
	if err := os.WriteFile(script, attackTorchPy, 0o644); err != nil {
		return 0, 0, err
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, peerPython(), script, dir)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return 0, 0, usageErrorf("--against pytorch: %s failed (%v): %s", peerPython(), err, lastLineOf(errb.String()))
	}
	var res struct{ CleanAcc, AdvAcc float64 }
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &struct {
		CleanAcc *float64 `json:"clean_acc"`
		AdvAcc   *float64 `json:"adv_acc"`
	}{&res.CleanAcc, &res.AdvAcc}); err != nil {
		return 0, 0, usageErrorf("--against pytorch: unreadable result %q", out.String())
	}
	return res.CleanAcc, res.AdvAcc, nil
}

func lastLineOf(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// peerPython is the interpreter with torch: $WORKBENCH_PYTHON, else
// Debian's /usr/bin/python3.
func peerPython() string {
	if p := os.Getenv("WORKBENCH_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}
