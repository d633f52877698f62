package data

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/workbench-cv/workbench/engine/data/augment"
)

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	// Set is the images to load; or set Source instead (for example a
	// LazySet that decodes on demand).
	Set       *Set
	Source    Source
	BatchSize int
	// Shuffle reorders the set each epoch with a permutation drawn from
	// (Seed, epoch); without it batches follow the set's order.
	Shuffle bool
	// DropLast drops the final batch when it is smaller than BatchSize.
	DropLast bool
	Seed     int64
	// Stats normalise the batch after augmentation (nil: pixels in [0,1]).
	Stats *Stats
	// Augment is applied to every image (and mixup to every batch); use it
	// for the training split only. nil means no augmentation.
	Augment *augment.Pipeline
	// Workers build batches in parallel (0: all CPUs). The batches do not
	// depend on the number of workers.
	Workers int
	// Prefetch bounds the batches built ahead of the consumer (0: 2 per
	// worker).
	Prefetch int
}

// Batch is one batch of images as float32 NCHW.
type Batch struct {
	// Index is the batch's position in its epoch.
	Index      int
	N, C, H, W int
	X          []float32 // N*C*H*W
	Labels     []int32
	// Soft holds N x classes soft labels when mixup is on, else nil.
	Soft []float32
	// Indices are the images' positions in the set.
	Indices []int
	// Skipped lists images of a streamed source that could not be read
	// ("path: reason"); their slots hold black images.
	Skipped []string
}

// Loader turns a Set into batches: shuffled per epoch, augmented,
// normalised, built on worker goroutines ahead of the consumer.
type Loader struct {
	cfg LoaderConfig
	src Source
}

// NewLoader checks cfg and prepares the augmentation's dataset-dependent
// parameters (fill colour and colour PCA).
func NewLoader(cfg LoaderConfig) (*Loader, error) {
	src := cfg.Source
	if cfg.Set != nil {
		src = cfg.Set
	}
	if src == nil || src.Len() == 0 {
		return nil, badInputf("the loader has no images; check the dataset and its limits")
	}
	sc, sh, sw := src.Shape()
	if cfg.BatchSize <= 0 {
		return nil, badInputf("batch size %d must be positive", cfg.BatchSize)
	}
	if cfg.Stats != nil {
		if err := cfg.Stats.Validate(); err != nil {
			return nil, badInputf("%v", err)
		}
		if cfg.Stats.C != sc || cfg.Stats.H != sh || cfg.Stats.W != sw {
			return nil, badInputf("preprocessing statistics are for %dx%dx%d images but the set holds %dx%dx%d; compute them on this dataset", cfg.Stats.C, cfg.Stats.H, cfg.Stats.W, sc, sh, sw)
		}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 2 * cfg.Workers
	}
	if cfg.Augment != nil {
		p := *cfg.Augment
		if p.Env.Fill == nil {
			p.Env.Fill = cfg.Stats.ChannelMean()
			if p.Env.Fill == nil {
				sample, err := sampleOf(src, cfg.Seed)
				if err != nil {
					return nil, err
				}
				p.Env.Fill = channelMean(sample)
			}
		}
		if p.NeedsColourPCA() && p.Env.ColourPCA == nil {
			s, err := sampleOf(src, cfg.Seed)
			if err != nil {
				return nil, err
			}
			pca, err := augment.FitColourPCA(s.Images, s.Len(), s.C, s.H, s.W, max(1, s.Len()/5000))
			if err != nil {
				return nil, err
			}
			p.Env.ColourPCA = pca
		}
		cfg.Augment = &p
	}
	return &Loader{cfg: cfg, src: src}, nil
}

// sampleOf returns src itself when it is in memory, else a decoded
// class-balanced sample of it for statistics.
func sampleOf(src Source, seed int64) (*Set, error) {
	if s, ok := src.(*Set); ok {
		return s, nil
	}
	s, _, err := SampleSet(src, 2000, seed)
	return s, err
}

// byteToUnit maps a pixel byte to [0, 1] (v/255, correctly rounded).
var byteToUnit = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return
}()

func channelMean(s *Set) []float32 {
	plane := s.H * s.W
	out := make([]float32, s.C)
	step := max(1, s.Len()/2000)
	count := 0
	sums := make([]float64, s.C)
	for i := 0; i < s.Len(); i += step {
		im := s.Image(i)
		for c := range s.C {
			var a uint64
			for _, v := range im[c*plane : (c+1)*plane] {
				a += uint64(v)
			}
			sums[c] += float64(a)
		}
		count++
	}
	for c := range out {
		out[c] = float32(sums[c] / float64(count*plane) / 255)
	}
	return out
}

// NumBatches is the number of batches in an epoch.
func (l *Loader) NumBatches() int {
	n, b := l.src.Len(), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Order returns the order of the set's images in epoch.
func (l *Loader) Order(epoch int) []int {
	n := l.src.Len()
	if !l.cfg.Shuffle {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	return newRand(l.cfg.Seed, streamShuffle^uint64(epoch)<<8).Perm(n)
}

// Batch builds batch b of epoch synchronously (the same as the iterator
// yields; useful for tests and for resuming mid-epoch).
func (l *Loader) Batch(epoch, b int) *Batch {
	return l.build(l.Order(epoch), epoch, b)
}

func (l *Loader) build(order []int, epoch, b int) *Batch {
	src := l.src
	c, h, w := src.Shape()
	set, inMemory := src.(*Set)
	lo := b * l.cfg.BatchSize
	hi := min(lo+l.cfg.BatchSize, len(order))
	n := hi - lo
	d := c * h * w
	bt := &Batch{Index: b, N: n, C: c, H: h, W: w,
		X: make([]float32, n*d), Labels: make([]int32, n), Indices: append([]int(nil), order[lo:hi]...)}
	var scratch []uint8
	if !inMemory {
		scratch = make([]uint8, d)
	}
	for j, i := range bt.Indices {
		bt.Labels[j] = src.Label(i)
		x := bt.X[j*d : (j+1)*d]
		pix := scratch
		if inMemory {
			pix = set.Image(i)
		} else if err := src.ReadImage(i, pix); err != nil {
			bt.Skipped = append(bt.Skipped, err.Error())
			continue
		}
		for k, v := range pix {
			x[k] = byteToUnit[v]
		}
		if l.cfg.Augment != nil {
			l.cfg.Augment.Apply(augment.Image{C: c, H: h, W: w, Pix: x}, l.cfg.Seed, epoch, i)
		}
	}
	l.cfg.Stats.Apply(bt.X, n)
	if l.cfg.Augment != nil && l.cfg.Augment.Mixup > 0 {
		bt.Soft, _ = augment.Mixup(bt.X, d, bt.Labels, len(src.ClassNames()), l.cfg.Augment.Mixup, augment.BatchRand(l.cfg.Seed, epoch, b))
	}
	return bt
}

// Iter yields the batches of one epoch in order. Call Close when done
// (also when stopping early) to stop the workers.
type Iter struct {
	ctx    context.Context
	cancel context.CancelFunc
	slots  []chan *Batch
	sem    chan struct{}
	next   int
	cur    *Batch
	err    error
	wg     sync.WaitGroup
	closed bool
	nbatch int
}

// Epoch starts building the batches of epoch on the workers. Batches are
// built at most Prefetch ahead of the consumer.
func (l *Loader) Epoch(ctx context.Context, epoch int) *Iter {
	ctx, cancel := context.WithCancel(ctx)
	nb := l.NumBatches()
	it := &Iter{ctx: ctx, cancel: cancel, slots: make([]chan *Batch, nb),
		sem: make(chan struct{}, l.cfg.Prefetch), nbatch: nb}
	for i := range it.slots {
		it.slots[i] = make(chan *Batch, 1)
	}
	order := l.Order(epoch)
	jobs := make(chan int)
	it.wg.Add(1)
	go func() { // dispatcher: hands out batch numbers while there is room
		defer it.wg.Done()
		defer close(jobs)
		for b := range nb {
			select {
			case it.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range min(l.cfg.Workers, max(nb, 1)) {
		it.wg.Add(1)
		go func() {
			defer it.wg.Done()
			for b := range jobs {
				it.slots[b] <- l.build(order, epoch, b)
			}
		}()
	}
	return it
}

// Next advances to the next batch, returning false at the end of the
// epoch or when the context is cancelled (then Err says so).
func (it *Iter) Next() bool {
	if it.closed || it.next >= it.nbatch {
		it.cur = nil
		return false
	}
	select {
	case b := <-it.slots[it.next]:
		it.cur = b
		it.next++
		<-it.sem
		return true
	case <-it.ctx.Done():
		it.cur = nil
		if it.err == nil {
			it.err = it.ctx.Err()
		}
		return false
	}
}

// Batch is the current batch.
func (it *Iter) Batch() *Batch { return it.cur }

// Err is the context's error if the epoch was cut short.
func (it *Iter) Err() error { return it.err }

// Close stops the workers and waits for them.
func (it *Iter) Close() {
	if it.closed {
		return
	}
	it.closed = true
	it.cancel()
	it.wg.Wait()
}

// String describes the loader, for logs.
func (l *Loader) String() string {
	return fmt.Sprintf("loader(%s, batch %d, %d batches, shuffle %v, augment %q, workers %d)",
		sourceName(l.src), l.cfg.BatchSize, l.NumBatches(), l.cfg.Shuffle, l.cfg.Augment.String(), l.cfg.Workers)
}
