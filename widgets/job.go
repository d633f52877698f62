package widgets

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

// JobBar runs a pane's long jobs (loading a dataset, cross-validating,
// training) one at a time on a goroutine, and shows the running job: what
// it does, a progress bar and a Cancel button. The UI hears back only
// through fyne.Do, so the UI goroutine never waits on the engine.
type JobBar struct {
	bar *widget.ProgressBar
	// What says what the job does; Stop cancels it (a pane may relabel it,
	// or tap it in a test).
	What   *widget.Label
	Stop   *widget.Button
	root   *fyne.Container
	MinGap time.Duration // between progress updates (default 50 ms)

	// Sync runs jobs on the calling goroutine: RenderPanes uses it so that
	// a pane shows its results in the picture it takes.
	Sync bool

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{} // the running job's; nil when idle
	latest chan struct{} // the last job's, closed after its finish ran
	last   time.Time
}

// NewJobBar returns an idle job bar; put Content() where it should show.
func NewJobBar() *JobBar {
	j := &JobBar{MinGap: 50 * time.Millisecond}
	j.bar = widget.NewProgressBar()
	j.What = widget.NewLabel("")
	j.What.Truncation = fyne.TextTruncateEllipsis
	j.Stop = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), j.Cancel)
	j.root = container.NewBorder(nil, nil, nil, j.Stop, container.NewGridWithColumns(2, j.What, j.bar))
	j.root.Hide()
	return j
}

// ErrBusy is returned by Start while another job runs.
var ErrBusy = errors.New("another job is still running; wait for it or cancel it")

// Report is how a job tells its progress: done of total units, and what it
// is doing now ("" keeps the previous text).
type Report func(done, total int, what string)

// Start runs work off the UI goroutine and then finish on it, with work's
// error (context.Canceled after Cancel). It refuses to start a second job
// while one runs.
func (j *JobBar) Start(what string, work func(ctx context.Context, progress Report) error, finish func(err error)) error {
	j.mu.Lock()
	if j.done != nil {
		j.mu.Unlock()
		return ErrBusy
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	j.cancel, j.done, j.latest = cancel, done, done
	j.mu.Unlock()

	j.What.SetText(what)
	j.bar.SetValue(0)
	j.Stop.Enable()
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
	if j.Sync {
		end(work(ctx, j.ShowNow))
		return nil
	}
	Go(func() {
		err := RunSafely(func() error { return work(ctx, j.Show) })
		DoAndWait(func() { end(err) })
	})
	return nil
}

// background counts the goroutines that Go started and that have not ended
// (a mutex and a counter rather than a sync.WaitGroup, whose Add may not
// race with a Wait that has seen zero).
var background struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n falls to zero; nil while n is zero
}

// Go runs fn on a new goroutine that WaitBackground waits for. Panes start
// their work off the UI goroutine with it (JobBar does), so that a test can
// wait until nothing still runs that would touch its widgets after its
// Fyne app has gone.
func Go(fn func()) {
	background.mu.Lock()
	if background.n == 0 {
		background.idle = make(chan struct{})
	}
	background.n++
	background.mu.Unlock()
	go func() {
		defer func() {
			background.mu.Lock()
			background.n--
			if background.n == 0 {
				close(background.idle)
				background.idle = nil
			}
			background.mu.Unlock()
		}()
		fn()
	}()
}

// WaitBackground waits until every goroutine started by Go has ended, or
// timeout has passed; it reports whether they all ended. Tests call it
// before their Fyne app is torn down; the app itself never needs to.
func WaitBackground(timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		background.mu.Lock()
		idle := background.idle
		background.mu.Unlock()
		if idle == nil {
			return true
		}
		select {
		case <-idle:
		case <-deadline:
			return false
		}
	}
}

// RunSafely turns a panic inside a job into an error, so a bug in one
// computation shows a message instead of taking the app down.
func RunSafely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return f()
}

// Show reports progress from the job's goroutine, at most every MinGap.
func (j *JobBar) Show(done, total int, what string) {
	j.mu.Lock()
	now := time.Now()
	if now.Sub(j.last) < j.MinGap && done < total {
		j.mu.Unlock()
		return
	}
	j.last = now
	j.mu.Unlock()
	Do(func() { j.ShowNow(done, total, what) })
}

// ShowNow shows progress at once; call it on the UI goroutine (a job that
// runs synchronously, with Sync, reports through it).
func (j *JobBar) ShowNow(done, total int, what string) {
	if what != "" {
		j.What.SetText(what)
	}
	if total > 0 {
		j.bar.SetValue(float64(done) / float64(total))
	}
}

// Cancel asks the running job to stop; its finish still runs.
func (j *JobBar) Cancel() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cancel != nil {
		j.cancel()
		j.Stop.Disable()
		j.What.SetText("Cancelling…")
	}
}

// Running reports whether a job runs.
func (j *JobBar) Running() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.done != nil
}

// Wait blocks until the last job started has finished, its finish
// included (tests; never on the UI goroutine of a running app, where the
// job's finish needs that goroutine).
func (j *JobBar) Wait() {
	j.mu.Lock()
	done := j.latest
	j.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Cancelled reports an error that only says the user cancelled.
func Cancelled(err error) bool {
	return errors.Is(err, context.Canceled)
}

// Content is the bar's widget: hidden while no job runs.
func (j *JobBar) Content() fyne.CanvasObject { return j.root }

// uiMu serialises the closures that Do and DoAndWait hand to fyne.Do. A
// running app runs them all on its UI goroutine anyway; Fyne's test driver
// runs each on the goroutine that asked, and the lock keeps them apart there.
var uiMu sync.Mutex

// Do runs fn on the UI goroutine, later.
func Do(fn func()) {
	fyne.Do(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		fn()
	})
}

// DoAndWait runs fn on the UI goroutine and waits for it.
func DoAndWait(fn func()) {
	fyne.DoAndWait(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		fn()
	})
}

// Locked runs fn at once on the calling goroutine, apart from the closures
// that Do and DoAndWait run: a test acting as the UI goroutine wraps its
// taps in it.
func Locked(fn func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	fn()
}
