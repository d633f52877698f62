package data

import (
	"context"
	"reflect"
	"testing"
)

func TestBalancedSubset(t *testing.T) {
	s := synthSet(1000, 10, 1, 2, 2)
	a := BalancedSubset(s, 95, 7)
	b := BalancedSubset(s, 95, 7)
	c := BalancedSubset(s, 95, 8)
	if a.Len() != 95 {
		t.Fatalf("subset of %d", a.Len())
	}
	counts := a.ClassCounts()
	for _, n := range counts {
		if n != 9 && n != 10 {
			t.Fatalf("unbalanced class counts %v", counts)
		}
	}
	same := func(x, y *Set) bool {
		for i := range x.Images {
			if x.Images[i] != y.Images[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Fatal("same seed gave a different subset")
	}
	if same(a, c) {
		t.Fatal("another seed gave the same subset")
	}
	// A class too small to fill its share gives way to the others.
	uneven := synthSet(100, 2, 1, 1, 1)
	uneven.Labels = make([]int32, 100)
	for i := range 5 {
		uneven.Labels[i] = 1
	}
	u := BalancedSubset(uneven, 40, 1)
	if cc := u.ClassCounts(); cc[1] != 5 || cc[0] != 35 {
		t.Fatalf("uneven classes: %v, want [35 5]", cc)
	}
}

func TestHoldOutAndFolds(t *testing.T) {
	s := synthSet(200, 4, 1, 2, 2)
	rest, held := HoldOut(s, 40, 3)
	if rest.Len() != 160 || held.Len() != 40 {
		t.Fatalf("rest %d held %d", rest.Len(), held.Len())
	}
	for _, n := range held.ClassCounts() {
		if n != 10 {
			t.Fatalf("held-out counts %v", held.ClassCounts())
		}
	}
	// Disjoint: image content identifies the image in synthSet.
	key := func(s *Set, i int) string { return string(s.Image(i)) }
	in := map[string]bool{}
	for i := range held.Len() {
		in[key(held, i)] = true
	}
	for i := range rest.Len() {
		if in[key(rest, i)] {
			t.Fatal("an image is both held out and kept")
		}
	}
	folds := Folds(s, 5, 1)
	seen := make([]int, s.Len())
	for _, f := range folds {
		if len(f) != 40 {
			t.Fatalf("fold of %d, want 40", len(f))
		}
		for _, i := range f {
			seen[i]++
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("image %d in %d folds", i, n)
		}
	}
	tr, va := FoldSplit(s, folds, 2)
	if tr.Len() != 160 || va.Len() != 40 {
		t.Fatalf("fold split %d/%d", tr.Len(), va.Len())
	}
	for _, n := range va.ClassCounts() {
		if n != 10 {
			t.Fatalf("fold is not stratified: %v", va.ClassCounts())
		}
	}
}

func TestLoadLimitsAndVal(t *testing.T) {
	ds, err := Load(context.Background(), SpecSample, Options{LimitTrain: 1000, LimitTest: 200, Val: 500, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.Len() != 1000 || ds.Val.Len() != 500 || ds.Test.Len() != 200 {
		t.Fatalf("train %d val %d test %d", ds.Train.Len(), ds.Val.Len(), ds.Test.Len())
	}
	for _, s := range []*Set{ds.Train, ds.Val, ds.Test} {
		for _, n := range s.ClassCounts() {
			if n != s.Len()/10 {
				t.Fatalf("unbalanced split: %v", s.ClassCounts())
			}
		}
	}
	_, err = Load(context.Background(), SpecSample, Options{Val: 6000})
	wantBadInput(t, err, "--val")
	// Channel and size conversion apply to every split.
	ds, err = Load(context.Background(), SpecSample, Options{LimitTrain: 10, LimitTest: 10, Channels: 3, Size: 32})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.C != 3 || ds.Test.H != 32 || ds.Val.W != 32 {
		t.Fatalf("converted shapes %dx%dx%d", ds.Train.C, ds.Test.H, ds.Val.W)
	}
}

func TestFirstPerClassTakesEveryClassInTurn(t *testing.T) {
	// Stored class by class, as CIFAR-10's JPEG folders are.
	s := &Set{Classes: []string{"a", "b", "c"}, Labels: []int32{0, 0, 0, 0, 1, 1, 1, 2}}
	s.Images = make([]uint8, len(s.Labels))
	s.C, s.H, s.W = 1, 1, 1
	for n, want := range map[int][]int{0: nil, 1: {0}, 3: {0, 4, 7}, 5: {0, 4, 7, 1, 5}, 7: {0, 4, 7, 1, 5, 2, 6}, 8: {0, 4, 7, 1, 5, 2, 6, 3}, 99: {0, 4, 7, 1, 5, 2, 6, 3}} {
		if got := FirstPerClass(s, n); !reflect.DeepEqual(got, want) {
			t.Errorf("FirstPerClass(%d) = %v, want %v", n, got, want)
		}
	}
}
