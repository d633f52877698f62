//go:build !linux && !windows

package opengl

import (
	"errors"
	"runtime"

	"github.com/workbench-cv/workbench/engine/backend"
)

func init() {
	backend.Register("gl", func() (backend.Backend, error) { return nil, errUnsupported() })
}

// errUnsupported says why this system has no OpenGL compute backend.
func errUnsupported() error {
	if runtime.GOOS == "darwin" {
		return errors.New("macOS provides OpenGL 4.1 without compute shaders")
	}
	return errors.New("the OpenGL compute backend is built for Linux and Windows only, not " + runtime.GOOS)
}
