package onnx

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// FuzzImport feeds arbitrary bytes to the reader and the mapper: they must
// return a model or an error, never panic, and a model they return must
// build. Seeds: the hand-built graphs of the parity test and the hostile
// files.
func FuzzImport(f *testing.F) {
	for _, c := range graphCases() {
		b := newMB(13, toInt64(c.input)...)
		for name, s := range c.params {
			b.init(name, s, make([]float32, numel(s)))
		}
		f.Add(c.model(b).out("y").bytes())
	}
	for _, h := range hostile() {
		f.Add(h.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Import(data)
		if err != nil {
			if m != nil {
				t.Fatal("a model and an error")
			}
			return
		}
		if numel(m.Input) > 1<<16 {
			return // valid, but too large to build on every iteration
		}
		if _, err := m.Build(cpu.New()); err != nil {
			t.Fatalf("imported model does not build: %v", err)
		}
	})
}

func toInt64(v []int) []int64 {
	out := make([]int64, len(v))
	for k, x := range v {
		out[k] = int64(x)
	}
	return out
}
