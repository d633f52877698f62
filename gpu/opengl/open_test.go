//go:build linux || windows

package opengl

import (
	"os"
	"testing"
	"time"
)

// openOrSkip opens the backend, skipping the test where no OpenGL 4.3
// context can be made, except in CI (CI=true), where that is a failure.
func openOrSkip(t testing.TB) *GL {
	t.Helper()
	g, err := Open()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no OpenGL compute context: %v", err)
		}
		t.Skipf("no OpenGL 4.3 compute context here (%v); install Mesa's EGL and DRI drivers to run this", err)
	}
	return g
}

func TestOpenReportsContext(t *testing.T) {
	start := time.Now()
	g := openOrSkip(t)
	t.Logf("opened in %v: %s", time.Since(start), g.Info())
	in := g.Info()
	if g.Describe() == "" || in.Version == "" {
		t.Fatalf("empty renderer or version: %+v", in)
	}
	if !atLeast43(in.Version) {
		t.Fatalf("context version %q is below 4.3", in.Version)
	}
	if in.MaxInvocations < 256 || in.MaxSharedMemory < 16<<10 || in.MaxWorkGroupCount[0] < 65535 {
		t.Fatalf("limits below what the kernels need: %+v", in)
	}
	again, err := Open()
	if err != nil || again != g {
		t.Fatalf("second Open gave %p, %v; want the same backend %p", again, err, g)
	}
}
