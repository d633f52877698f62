//go:build linux || windows

package opengl

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// platformContext is an OpenGL context current on the worker's thread.
type platformContext interface {
	procAddr(name string) unsafe.Pointer
	release()
}

// worker owns the OpenGL context: one goroutine, locked to its OS thread,
// runs every GL call in the order the calls were posted. Kernels are posted
// without waiting (GL itself is asynchronous); Read and other queries wait.
type worker struct {
	queue chan func()

	mu      sync.Mutex
	failure error // the first panic on the GL thread, reported by the next wait
}

// startWorker starts the GL goroutine and runs setup on it; if setup fails
// the goroutine ends, and its locked thread with it.
func startWorker(setup func() error) (*worker, error) {
	w := &worker{queue: make(chan func(), 1024)}
	errc := make(chan error)
	go func() {
		// Never unlocked: if the goroutine exits, the thread (and any EGL
		// state on it) goes with it.
		runtime.LockOSThread()
		if err := w.safe(setup); err != nil {
			errc <- err
			return
		}
		errc <- nil
		for f := range w.queue {
			if err := w.safe(func() error { f(); return nil }); err != nil {
				w.mu.Lock()
				if w.failure == nil {
					w.failure = err
				}
				w.mu.Unlock()
			}
		}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return w, nil
}

// safe runs f, turning a panic into an error.
func (w *worker) safe(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return f()
}

// post queues f to run on the GL thread and returns at once.
func (w *worker) post(f func()) { w.queue <- f }

// call runs f on the GL thread and waits for it. It panics with the first
// failure of an earlier posted call, so that errors are not lost.
func (w *worker) call(f func()) {
	done := make(chan any, 1)
	w.queue <- func() {
		defer func() { done <- recover() }()
		f()
	}
	if r := <-done; r != nil {
		panic(r)
	}
	w.mu.Lock()
	err := w.failure
	w.failure = nil
	w.mu.Unlock()
	if err != nil {
		panic(fmt.Sprintf("opengl: an earlier kernel failed: %v", err))
	}
}
