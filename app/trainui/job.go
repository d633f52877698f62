package trainui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// jobBar runs a pane's long jobs (loading a dataset, cross-validating,
// training) one at a time on a goroutine, and shows the running job: what
// it does, a progress bar and a Cancel button. The UI hears back only
// through fyne.Do, so the UI goroutine never waits on the engine.
type jobBar struct {
	bar    *widget.ProgressBar
	what   *widget.Label
	stop   *widget.Button
	root   *fyne.Container
	minGap time.Duration // between progress updates

	// sync runs jobs on the calling goroutine: RenderPanes uses it so that
	// a pane shows its results in the picture it takes.
	sync bool

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{} // the running job's; nil when idle
	latest chan struct{} // the last job's, closed after its finish ran
	last   time.Time
}

func newJobBar() *jobBar {
	j := &jobBar{minGap: 50 * time.Millisecond}
	j.bar = widget.NewProgressBar()
	j.what = widget.NewLabel("")
	j.what.Truncation = fyne.TextTruncateEllipsis
	j.stop = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), j.Cancel)
	j.root = container.NewBorder(nil, nil, nil, j.stop, container.NewGridWithColumns(2, j.what, j.bar))
	j.root.Hide()
	return j
}

// errBusy is returned by start while another job runs.
var errBusy = errors.New("another job is still running; wait for it or cancel it")

// report is how a job tells its progress: done of total units, and what it
// is doing now ("" keeps the previous text).
type report func(done, total int, what string)

// start runs work off the UI goroutine and then finish on it, with work's
// error (context.Canceled after Cancel). It refuses to start a second job
// while one runs.
func (j *jobBar) start(what string, work func(ctx context.Context, progress report) error, finish func(err error)) error {
	j.mu.Lock()
	if j.done != nil {
		j.mu.Unlock()
		return errBusy
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	j.cancel, j.done, j.latest = cancel, done, done
	j.mu.Unlock()

	j.what.SetText(what)
	j.bar.SetValue(0)
	j.stop.Enable()
	j.root.Show()

	end := func(err error) {
		j.mu.Lock()
		j.cancel, j.done = nil, nil
		j.mu.Unlock()
		cancel()
		j.root.Hide()
		if finish != nil {
			finish(err)
		}
		close(done)
	}
	if j.sync {
		end(work(ctx, j.showNow))
		return nil
	}
	go func() {
		err := runSafely(func() error { return work(ctx, j.show) })
		uiDoAndWait(func() { end(err) })
	}()
	return nil
}

// runSafely turns a panic inside a job into an error, so a bug in one
// computation shows a message instead of taking the app down.
func runSafely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return f()
}

// show reports progress from the job's goroutine, at most every minGap.
func (j *jobBar) show(done, total int, what string) {
	j.mu.Lock()
	now := time.Now()
	if now.Sub(j.last) < j.minGap && done < total {
		j.mu.Unlock()
		return
	}
	j.last = now
	j.mu.Unlock()
	uiDo(func() { j.showNow(done, total, what) })
}

func (j *jobBar) showNow(done, total int, what string) {
	if what != "" {
		j.what.SetText(what)
	}
	if total > 0 {
		j.bar.SetValue(float64(done) / float64(total))
	}
}

// Cancel asks the running job to stop; its finish still runs.
func (j *jobBar) Cancel() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cancel != nil {
		j.cancel()
		j.stop.Disable()
		j.what.SetText("Cancelling…")
	}
}

// running reports whether a job runs.
func (j *jobBar) running() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.done != nil
}

// wait blocks until the last job started has finished, its finish
// included (tests; never on the UI goroutine of a running app, where the
// job's finish needs that goroutine).
func (j *jobBar) wait() {
	j.mu.Lock()
	done := j.latest
	j.mu.Unlock()
	if done != nil {
		<-done
	}
}

// cancelled reports an error that only says the user cancelled.
func cancelled(err error) bool {
	return errors.Is(err, context.Canceled)
}
