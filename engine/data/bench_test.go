package data

import (
	"context"
	"image/color"
	"path/filepath"
	"testing"
)

func TestBenchLoader(t *testing.T) {
	dir := t.TempDir()
	for i := range 6 {
		writePNG(t, filepath.Join(dir, []string{"a", "b"}[i%2], string(rune('0'+i))+".png"), solid(32, 32, color.NRGBA{uint8(i * 40), 0, 0, 255}))
	}
	ips, err := BenchLoader(context.Background(), dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !(ips > 0) {
		t.Fatalf("images/s = %v", ips)
	}
}

func BenchmarkLoaderCIFAR10(b *testing.B) {
	p, err := Locate(SpecCIFAR10)
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		ips, err := BenchLoader(context.Background(), p, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ips, "images/s")
	}
}
