package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress is a progress bar drawn on stderr when stderr is a terminal and
// --json is off; otherwise it only counts. Its methods are safe to call from
// several goroutines.
type Progress struct {
	c        *Ctx
	label    string
	total    int
	n        int
	start    time.Time
	drawn    time.Time
	finished bool
}

// progressEvery limits redraws so that a fast loop does not flood the terminal.
const progressEvery = 100 * time.Millisecond

// Progress starts a bar with a label and a total (0 or less: unknown total).
func (c *Ctx) Progress(label string, total int) *Progress {
	p := &Progress{c: c, label: label, total: total, start: time.Now()}
	c.mu.Lock()
	c.flushNotesLocked()
	c.progress = append(c.progress, p)
	c.mu.Unlock()
	return p
}

// Add advances the bar by n.
func (p *Progress) Add(n int) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.n += n
	p.drawLocked(false)
}

// Set moves the bar to n.
func (p *Progress) Set(n int) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.n = n
	p.drawLocked(false)
}

// Finish draws the bar one last time and ends its line. Calling it again does
// nothing.
func (p *Progress) Finish() {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.finishLocked()
}

func (p *Progress) finishLocked() {
	if p.finished {
		return
	}
	p.drawLocked(true)
	p.finished = true
	if p.c.showBars() {
		io.WriteString(p.c.Stderr, "\n")
	}
}

func (c *Ctx) showBars() bool { return c.terminal && !c.JSON && c.Stderr != nil }

// finishProgress ends any bar the command left open, so that the shell prompt
// starts on a fresh line.
func (c *Ctx) finishProgress() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.progress {
		p.finishLocked()
	}
}

// clearBarsLocked erases a bar line before other output is written; the bar
// is drawn again on its next update.
func (c *Ctx) clearBarsLocked() {
	if !c.showBars() {
		return
	}
	for _, p := range c.progress {
		if !p.finished && !p.drawn.IsZero() {
			io.WriteString(c.Stderr, "\r\033[K")
			p.drawn = time.Time{}
			return
		}
	}
}

func (p *Progress) drawLocked(force bool) {
	if p.finished || !p.c.showBars() {
		return
	}
	now := time.Now()
	if !force && !p.drawn.IsZero() && now.Sub(p.drawn) < progressEvery {
		return
	}
	p.drawn = now
	io.WriteString(p.c.Stderr, "\r\033[K"+p.line(now.Sub(p.start)))
}

// line renders the bar, e.g. "epoch 1 [=======>    ] 640/1000 64% 1.2k/s ETA 3s".
func (p *Progress) line(elapsed time.Duration) string {
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(p.n) / s
	}
	if p.total <= 0 {
		return fmt.Sprintf("%s %d %s/s %s", p.label, p.n, siCount(rate), roundDuration(elapsed))
	}
	const width = 30
	frac := float64(p.n) / float64(p.total)
	frac = min(max(frac, 0), 1)
	filled := int(frac * width)
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	tail := "ETA --"
	if p.n >= p.total {
		tail = "in " + roundDuration(elapsed)
	} else if rate > 0 {
		tail = "ETA " + roundDuration(time.Duration(float64(p.total-p.n)/rate*float64(time.Second)))
	}
	return fmt.Sprintf("%s [%s] %d/%d %3.0f%% %s/s %s", p.label, bar, p.n, p.total, frac*100, siCount(rate), tail)
}

func siCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.1fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return fmt.Sprintf("%.1f", x)
}

func roundDuration(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	return d.Round(time.Second).String()
}
