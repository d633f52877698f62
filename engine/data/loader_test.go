package data

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/data/augment"
)

func collect(t *testing.T, l *Loader, epoch int) []*Batch {
	t.Helper()
	it := l.Epoch(context.Background(), epoch)
	defer it.Close()
	var out []*Batch
	for it.Next() {
		out = append(out, it.Batch())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameBatches(a, b []*Batch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Index != b[i].Index || len(a[i].X) != len(b[i].X) || len(a[i].Soft) != len(b[i].Soft) {
			return false
		}
		for j := range a[i].X {
			if math.Float32bits(a[i].X[j]) != math.Float32bits(b[i].X[j]) {
				return false
			}
		}
		for j := range a[i].Soft {
			if a[i].Soft[j] != b[i].Soft[j] {
				return false
			}
		}
		for j := range a[i].Labels {
			if a[i].Labels[j] != b[i].Labels[j] || a[i].Indices[j] != b[i].Indices[j] {
				return false
			}
		}
	}
	return true
}

// The batches must not depend on how many workers build them.
func TestLoaderDeterministicAcrossWorkers(t *testing.T) {
	s := synthSet(203, 5, 3, 8, 8)
	pipe, err := augment.Parse("flip,crop:2,rotate:10,jitter,cutout:3,erase,mixup:0.4")
	if err != nil {
		t.Fatal(err)
	}
	stats, err := FitStats(s, NormChannelStd, StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var runs [][]*Batch
	for _, workers := range []int{1, 2, 7} {
		l, err := NewLoader(LoaderConfig{Set: s, BatchSize: 16, Shuffle: true, Seed: 5, Stats: stats, Augment: pipe, Workers: workers, Prefetch: 3})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, collect(t, l, 3))
	}
	if len(runs[0]) != 13 || runs[0][12].N != 203-12*16 {
		t.Fatalf("%d batches, last of %d", len(runs[0]), runs[0][len(runs[0])-1].N)
	}
	for i := 1; i < len(runs); i++ {
		if !sameBatches(runs[0], runs[i]) {
			t.Fatalf("run %d differs from the single-worker run", i)
		}
	}
	// Soft labels are present and rows sum to one.
	b := runs[0][0]
	if len(b.Soft) != b.N*5 {
		t.Fatalf("soft labels %d values, want %d", len(b.Soft), b.N*5)
	}
	// The synchronous Batch gives the same as the iterator.
	l, _ := NewLoader(LoaderConfig{Set: s, BatchSize: 16, Shuffle: true, Seed: 5, Stats: stats, Augment: pipe, Workers: 2})
	if !sameBatches([]*Batch{l.Batch(3, 4)}, []*Batch{runs[0][4]}) {
		t.Fatal("Loader.Batch differs from the iterator's batch")
	}
}

func TestLoaderShufflesEachEpochAndCoversAll(t *testing.T) {
	s := synthSet(100, 4, 1, 4, 4)
	l, err := NewLoader(LoaderConfig{Set: s, BatchSize: 10, Shuffle: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	seen := func(bs []*Batch) []int {
		var all []int
		for _, b := range bs {
			all = append(all, b.Indices...)
		}
		return all
	}
	e0, e1 := seen(collect(t, l, 0)), seen(collect(t, l, 1))
	count := make([]int, 100)
	for _, i := range e0 {
		count[i]++
	}
	for i, c := range count {
		if c != 1 {
			t.Fatalf("image %d seen %d times in an epoch", i, c)
		}
	}
	same := 0
	for i := range e0 {
		if e0[i] == e1[i] {
			same++
		}
	}
	if same > 20 {
		t.Fatalf("epochs 0 and 1 share %d of 100 positions: not reshuffled", same)
	}
	// Without augmentation or stats, X is the pixels over 255.
	b := l.Batch(0, 0)
	img := s.Image(b.Indices[0])
	for k := range img {
		if b.X[k] != float32(img[k])/255 {
			t.Fatal("batch pixels are not the image scaled to [0,1]")
		}
	}
	if b.Labels[0] != s.Labels[b.Indices[0]] {
		t.Fatal("batch label does not match the image")
	}
}

func TestLoaderDropLastAndCancel(t *testing.T) {
	s := synthSet(25, 5, 1, 2, 2)
	l, _ := NewLoader(LoaderConfig{Set: s, BatchSize: 10, DropLast: true})
	if n := len(collect(t, l, 0)); n != 2 {
		t.Fatalf("%d batches with DropLast, want 2", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l, _ = NewLoader(LoaderConfig{Set: synthSet(1000, 5, 1, 2, 2), BatchSize: 1, Prefetch: 2, Workers: 2})
	it := l.Epoch(ctx, 0)
	if !it.Next() {
		t.Fatal("no first batch")
	}
	cancel()
	n := 0
	for it.Next() {
		n++
	}
	it.Close()
	if !errors.Is(it.Err(), context.Canceled) || n > 4 {
		t.Fatalf("after cancel: %d more batches, err %v", n, it.Err())
	}
	// Closing early without cancelling must not leak or hang.
	it = l.Epoch(context.Background(), 1)
	it.Next()
	it.Close()
}

func TestLoaderRejectsBadConfig(t *testing.T) {
	s := synthSet(10, 2, 1, 2, 2)
	if _, err := NewLoader(LoaderConfig{Set: s}); !errors.Is(err, ErrBadInput) {
		t.Errorf("batch 0: %v", err)
	}
	st := &Stats{Norm: NormChannelMean, C: 3, H: 2, W: 2, Mean: []float32{0, 0, 0}}
	if _, err := NewLoader(LoaderConfig{Set: s, BatchSize: 2, Stats: st}); !errors.Is(err, ErrBadInput) {
		t.Errorf("stats of another shape: %v", err)
	}
}
