// Package initlog holds back what libraries log while the program starts.
//
// Fyne logs a three-line "Error parsing user locale C" from its package
// initialisation whenever the locale is C or POSIX (the usual one in
// containers and CI), before main runs. The command line promises one line on
// stderr for an error, so this package, initialised before Fyne (Go
// initialises ready packages in import-path order, and this one needs only
// the standard library), buffers the standard logger until Release.
package initlog

import (
	"bytes"
	"io"
	"log"
	"os"
	"sync"
)

var (
	mu  sync.Mutex
	buf bytes.Buffer
)

type held struct{}

func (held) Write(p []byte) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	return buf.Write(p)
}

func init() { log.SetOutput(held{}) }

// Release sends the standard logger to w from now on and returns what was
// logged during start-up.
func Release(w io.Writer) string {
	if w == nil {
		w = os.Stderr
	}
	log.SetOutput(w)
	mu.Lock()
	defer mu.Unlock()
	s := buf.String()
	buf.Reset()
	return s
}
