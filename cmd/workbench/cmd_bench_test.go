package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/workbench-cv/workbench/engine/bench"
)

func TestBenchBadUsageExitsTwoWithOneLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "--workload is required"},
		{[]string{"bench", "--workload", "nope"}, "use one of"},
		{[]string{"bench", "--workload", "gemm", "--against", "tensorflow"}, "--against none, pytorch"},
		{[]string{"bench", "--workload", "knn", "--device", "gl"}, "--device cpu"},
		{[]string{"bench", "--workload", "gemm", "--impl", "fast"}, "use native"},
		{[]string{"bench", "--workload", "gemm", "--sizes", "256,big"}, "not a whole number"},
		{[]string{"bench", "--workload", "gemm", "--sizes", "0"}, "out of range"},
		{[]string{"bench", "--workload", "gemm", "--min-time", "-1"}, "--min-time"},
		{[]string{"bench", "gemm"}, "--workload"},
		{[]string{"bench", "--workload", "gemm", "--rounds", "-1"}, "--rounds"},
	} {
		code, _, stderr := call(t, tc.args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tc.args, code, exitUsage, stderr)
			continue
		}
		oneErrorLine(t, stderr, tc.want)
	}
}

// TestBenchChildModeRunsOurSide covers the branch the re-executed child
// takes: it runs our side only and writes the result file.
func TestBenchChildModeRunsOurSide(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ours.json")
	job, _ := json.Marshal(map[string]any{"workload": "gemm", "out": out,
		"options": map[string]any{"threads": 1, "seed": 1, "device": "cpu", "sizes": []int{16, 32}, "min_time": 0.01}})
	t.Setenv(bench.ChildEnv, string(job))
	if code, _, stderr := call(t, "bench", "--workload", "gemm"); code != exitOK {
		t.Fatalf("child exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res bench.Result
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if sizes, _ := res.Fields["sizes"].([]any); len(sizes) != 2 || !(res.Value > 0) {
		t.Fatalf("child result %s, want two sizes and a positive value", data)
	}
}
