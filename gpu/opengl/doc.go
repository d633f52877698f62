// Package opengl is the engine's GPU backend: every kernel of
// engine/backend's interface as an OpenGL 4.3 compute shader (GLSL 4.30),
// running on any vendor's GPU (NVIDIA, AMD, Intel) without CUDA, and on
// Mesa's llvmpipe where there is no GPU.
//
// A blank import registers it as "gl":
//
//	import _ "github.com/workbench-cv/workbench/gpu/opengl"
//
// and backend.Choose("auto") then uses it when a context can be made,
// falling back to the CPU with a notice that quotes the driver otherwise.
//
// The backend owns its own OpenGL context, separate from Fyne's, on one
// goroutine locked to its OS thread; every GL call is queued to it, kernels
// without waiting and reads waiting for the kernels before them. On Linux
// the context comes from EGL with no window and no display: an EGL device
// (NVIDIA's driver, or a Mesa GPU), else Mesa's surfaceless platform
// (llvmpipe on a machine without a GPU). macOS stops at OpenGL 4.1, which
// has no compute shaders, so there Open fails and the CPU is used.
//
// Buffers are shader storage buffers that stay on the GPU between kernels; a
// pool keyed by size class reuses them (Free, or the garbage collector,
// returns one). Kernels are compiled once when the backend opens. See
// docs/gpu.md for the design, the kernels and measured figures.
//
// WORKBENCH_GL_FORCE_FAIL=1 makes Open fail (=shader: with a real driver
// compile error), to test the fallback; WORKBENCH_GL_DEVICE=N picks the Nth
// EGL device.
package opengl
