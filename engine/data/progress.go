package data

import (
	"io"
	"sync"
)

// progress forwards Options.Progress calls, serialised and thinned out to
// about a thousand per load so a callback that redraws stays cheap.
type progress struct {
	mu          sync.Mutex
	fn          func(done, total int)
	done, total int64
	last        int64
}

func newProgress(fn func(done, total int)) *progress { return &progress{fn: fn} }

func (p *progress) setTotal(total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.total = total
	p.mu.Unlock()
}

func (p *progress) add(n int64) {
	if p == nil || p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.done > p.total {
		p.total = p.done
	}
	step := p.total / 1000
	if p.done-p.last > step || p.done == p.total {
		p.last = p.done
		p.fn(int(p.done), int(p.total))
	}
}

// finish reports completion once all work is done.
func (p *progress) finish() {
	if p == nil || p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last != p.total || p.total == 0 {
		p.done, p.last = p.total, p.total
		p.fn(int(p.total), int(p.total))
	}
}

// reader counts bytes read from r as progress.
func (p *progress) reader(r io.Reader) io.Reader {
	if p == nil || p.fn == nil {
		return r
	}
	return &progressReader{r: r, p: p}
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.p.add(int64(n))
	return n, err
}
