package bench

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// openDevice returns the backend a workload's our side runs on: the CPU, or
// the OpenGL compute backend when --device gl asked for it (it must be
// linked in, as the workbench binary does).
func openDevice(name string) (backend.Backend, error) {
	if name == "" || name == "cpu" || name == "auto" {
		return cpu.New(), nil
	}
	return backend.Open(name)
}

// syncer is implemented by asynchronous backends (gpu/opengl): Sync waits
// until every queued kernel has finished, so a timer can stop.
type syncer interface{ Sync() }

func syncDevice(b backend.Backend) {
	if s, ok := b.(syncer); ok {
		s.Sync()
	}
}
