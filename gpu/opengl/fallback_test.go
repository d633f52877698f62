//go:build linux || windows

package opengl

import (
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	_ "github.com/workbench-cv/workbench/engine/backend/cpu"
)

// With the context forced to fail, "auto" falls back to the CPU with a
// notice that says why, and an explicit "gl" is an error, not a crash.
func TestAutoFallsBackWhenNoContext(t *testing.T) {
	t.Setenv(ForceFailEnv, "1")
	b, notice, err := backend.Choose("auto")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != "cpu" {
		t.Fatalf("auto chose %q with the GL context disabled", b.Name())
	}
	if !strings.Contains(notice, "OpenGL compute unavailable") || !strings.Contains(notice, ForceFailEnv) {
		t.Fatalf("notice %q does not say what happened", notice)
	}
	if _, _, err := backend.Choose("gl"); err == nil || !strings.Contains(err.Error(), ForceFailEnv) {
		t.Fatalf("Choose(gl) with the context disabled: err = %v", err)
	}
}

// A kernel the driver rejects makes Open fail with the driver's own
// compiler message, and "auto" fall back to the CPU quoting it.
func TestAutoFallsBackQuotingTheShaderCompiler(t *testing.T) {
	openOrSkip(t) // needs a driver to reject the kernel
	t.Setenv(ForceFailEnv, "shader")
	b, notice, err := backend.Choose("auto")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != "cpu" {
		t.Fatalf("auto chose %q after a shader failure", b.Name())
	}
	if !strings.Contains(notice, "the driver rejected kernel unary") || !strings.Contains(strings.ToLower(notice), "error") {
		t.Fatalf("notice %q does not quote the driver's compile error", notice)
	}
	t.Logf("notice: %s", notice)
}

// "auto" takes a GPU's context, but not a software rasteriser's (slower
// than the CPU backend) unless WORKBENCH_GL_SOFTWARE=1 asks for it.
func TestAutoPrefersAGPU(t *testing.T) {
	g := openOrSkip(t)
	b, notice, err := backend.Choose("auto")
	if err != nil {
		t.Fatal(err)
	}
	if g.Info().Software {
		if b.Name() != "cpu" || !strings.Contains(notice, "software") {
			t.Fatalf("auto on %s chose %s with notice %q; want the CPU and a notice", g.Describe(), b.Name(), notice)
		}
		t.Setenv("WORKBENCH_GL_SOFTWARE", "1")
		if b, _, _ := backend.Choose("auto"); b != backend.Backend(g) {
			t.Fatalf("auto with WORKBENCH_GL_SOFTWARE=1 chose %s", b.Name())
		}
	} else if b != backend.Backend(g) || notice != "" {
		t.Fatalf("auto on %s chose %s with notice %q; want GL", g.Describe(), b.Name(), notice)
	}
	b, notice, err = backend.Choose("gl")
	if err != nil || b != backend.Backend(g) {
		t.Fatalf("Choose(gl) = %v, %v", b, err)
	}
	// --device gl on a software rasteriser runs ~100x slower than the CPU:
	// it is honoured, with a warning.
	if sw := g.Info().Software; sw != strings.Contains(notice, "slower than --device cpu") {
		t.Fatalf("Choose(gl) on %s (software %v): notice %q", g.Describe(), sw, notice)
	}
}
