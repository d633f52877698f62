package cpu_test

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/backendtest"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// The CPU backend against the plain float64 references of the
// conformance suite (against itself as the oracle, trivially).
func TestConformance(t *testing.T) { backendtest.Run(t, cpu.New()) }
