package projects

import (
	"path/filepath"
	"testing"
)

// benchProject is about the size of a small VGG with Adam state: 64 MiB.
func benchProject() *Project {
	p, _ := Sample()
	for i, name := range []string{"weights/a", "optim/a.m", "optim/a.v", "weights/b"} {
		d := make([]float32, 4<<20)
		for j := range d {
			d[j] = float32(i*j) * 1e-3
		}
		p.Tensors[name] = Tensor{Shape: []int{4096, 1024}, Data: d}
	}
	return p
}

func BenchmarkSave(b *testing.B) {
	p := benchProject()
	path := filepath.Join(b.TempDir(), "b.wbproj")
	b.SetBytes(64 << 20)
	for b.Loop() {
		if err := Save(p, path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "b.wbproj")
	if err := Save(benchProject(), path); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(64 << 20)
	for b.Loop() {
		if _, err := Open(path); err != nil {
			b.Fatal(err)
		}
	}
}
