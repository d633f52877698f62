package data

import (
	"math/rand/v2"
	"sort"
)

// Streams of random numbers, so that the subsets, the validation hold-out
// and the loader's shuffles are independent even under the same seed.
const (
	streamLimit = iota + 1
	streamVal
	streamFolds
	streamShuffle
	streamPCA
)

// newRand returns a PCG generator for (seed, stream).
func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(uint64(seed)), splitmix(stream^0x9e3779b97f4a7c15)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// byClass returns, for each class, the indices of its images in order.
func byClass(s *Set) [][]int { return labelsByClass(s.Labels, len(s.Classes)) }

func labelsByClass(labels []int32, k int) [][]int {
	out := make([][]int, k)
	for i, l := range labels {
		out[l] = append(out[l], i)
	}
	return out
}

// balancedPick chooses n indices of s, as equal per class as the class
// sizes allow, at random under (seed, stream). The result is sorted.
func balancedPick(s *Set, n int, seed int64, stream uint64) []int {
	return balancedPickLabels(s.Labels, len(s.Classes), n, seed, stream)
}

func balancedPickLabels(labels []int32, k, n int, seed int64, stream uint64) []int {
	r := newRand(seed, stream)
	classes := labelsByClass(labels, k)
	for _, idx := range classes {
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	// Deal one per class in turn (classes visited in a seeded order) until
	// n are taken, skipping classes that ran out.
	order := r.Perm(len(classes))
	taken := make([]int, len(classes))
	var pick []int
	for len(pick) < n {
		progress := false
		for _, c := range order {
			if len(pick) == n {
				break
			}
			if taken[c] < len(classes[c]) {
				pick = append(pick, classes[c][taken[c]])
				taken[c]++
				progress = true
			}
		}
		if !progress {
			break
		}
	}
	sort.Ints(pick)
	return pick
}

// BalancedSubset returns n images of s chosen at random under seed with
// the classes as equal as their sizes allow, in their original order. If n
// is at least s.Len(), s itself is returned.
func BalancedSubset(s *Set, n int, seed int64) *Set {
	if n >= s.Len() || n < 0 {
		return s
	}
	return s.Subset(balancedPick(s, n, seed, streamLimit))
}

// HoldOut splits n class-balanced images (chosen under seed) off s:
// rest keeps the others, both in their original order.
func HoldOut(s *Set, n int, seed int64) (rest, held *Set) {
	pick := balancedPick(s, min(n, s.Len()), seed, streamVal)
	in := make([]bool, s.Len())
	for _, i := range pick {
		in[i] = true
	}
	var keep []int
	for i := range s.Len() {
		if !in[i] {
			keep = append(keep, i)
		}
	}
	return s.Subset(keep), s.Subset(pick)
}

// Folds splits the indices of s into k stratified folds for
// cross-validation: each class's images, shuffled under seed, are dealt
// round-robin to the folds, so every fold has about the same class mix.
// Each fold is sorted.
func Folds(s *Set, k int, seed int64) [][]int {
	if k < 1 {
		k = 1
	}
	r := newRand(seed, streamFolds)
	folds := make([][]int, k)
	next := 0
	for _, idx := range byClass(s) {
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx {
			folds[next%k] = append(folds[next%k], i)
			next++
		}
	}
	for _, f := range folds {
		sort.Ints(f)
	}
	return folds
}

// FoldSplit returns the training and validation sets for fold i of folds:
// validation is fold i, training is all the others.
func FoldSplit(s *Set, folds [][]int, i int) (train, val *Set) {
	var tr []int
	for j, f := range folds {
		if j != i {
			tr = append(tr, f...)
		}
	}
	sort.Ints(tr)
	return s.Subset(tr), s.Subset(folds[i])
}

// FirstPerClass returns the indices of n images of s taken a class at a
// time: the first image of each class in class order, then the second of
// each, and so on, skipping classes that ran out, in that order (a grid of
// them shows the classes in turn).
// On a split stored class by class (CIFAR-10's JPEG folders: the first
// 1,000 test images are all airplanes) "the first n images" would be one
// class; this is every class, deterministically, and on a shuffled split
// much the same images as the first n. n at or above s.Len() gives every
// index.
func FirstPerClass(s *Set, n int) []int {
	n = min(max(n, 0), s.Len())
	classes := byClass(s)
	var pick []int
	for k := 0; len(pick) < n; k++ {
		for _, idx := range classes {
			if k < len(idx) && len(pick) < n {
				pick = append(pick, idx[k])
			}
		}
	}
	return pick
}
