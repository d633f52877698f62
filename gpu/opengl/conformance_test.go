//go:build linux || windows

package opengl

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/backendtest"
)

// TestConformance runs the engine's conformance suite on the GL backend:
// every kernel against the CPU backend and a float64 reference.
func TestConformance(t *testing.T) {
	backendtest.Run(t, openOrSkip(t))
}
