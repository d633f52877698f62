//go:build linux || windows

package opengl

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"
	"github.com/workbench-cv/workbench/engine/backend"
)

func init() {
	backend.Register("gl", func() (backend.Backend, error) {
		g, err := Open()
		if err != nil {
			return nil, err // not a typed nil *GL
		}
		return g, nil
	})
}

// ForceFailEnv names the environment variable that makes Open fail, to test
// the CPU fallback: "1" (or "context") fails as if no context could be made;
// "shader" makes a real context, then compiles a kernel the driver rejects,
// so the error quotes the driver's own message.
const ForceFailEnv = "WORKBENCH_GL_FORCE_FAIL"

var (
	openMu   sync.Mutex
	shared   *GL
	openErr  error
	loadOnce sync.Once
	loadErr  error
)

// Open returns the process's OpenGL compute backend, making its context on
// first use. Later calls return the same backend (buffers are shared), or
// the same error.
func Open() (*GL, error) {
	switch v := os.Getenv(ForceFailEnv); v {
	case "", "0":
	case "shader":
		g, err := open(true)
		if err == nil { // cannot happen: the broken kernel must fail
			return g, nil
		}
		return nil, err
	default:
		return nil, fmt.Errorf("OpenGL context creation disabled by %s=%s", ForceFailEnv, v)
	}
	openMu.Lock()
	defer openMu.Unlock()
	if shared == nil && openErr == nil {
		shared, openErr = open(false)
	}
	return shared, openErr
}

// Info describes the context: the driver's strings and the compute limits.
type Info struct {
	Renderer, Vendor, Version, GLSL string
	Platform                        string // how the context was made, e.g. "EGL surfaceless, EGL 1.5"
	MaxWorkGroupSize                [3]int
	MaxWorkGroupCount               [3]int
	MaxInvocations                  int   // per workgroup
	MaxSharedMemory                 int   // bytes per workgroup
	MaxSSBOSize                     int64 // bytes per shader storage block
	MaxSSBOBindings                 int
	MemoryKB                        int  // total GPU memory when the driver says (NVX/ATI extensions), else 0
	Software                        bool // a software rasteriser (llvmpipe, softpipe, SwiftShader, WARP)
}

// String is a one-paragraph summary for logs and the status bar's tooltip.
func (i Info) String() string {
	s := fmt.Sprintf("%s (%s; OpenGL %s, GLSL %s; %s); workgroup ≤ %d invocations (%d×%d×%d), shared memory %d KiB, storage block ≤ %d MiB",
		i.Renderer, i.Vendor, i.Version, i.GLSL, i.Platform, i.MaxInvocations,
		i.MaxWorkGroupSize[0], i.MaxWorkGroupSize[1], i.MaxWorkGroupSize[2],
		i.MaxSharedMemory/1024, i.MaxSSBOSize>>20)
	if i.MemoryKB > 0 {
		s += fmt.Sprintf(", %d MiB memory", i.MemoryKB/1024)
	}
	return s
}

// GL is the OpenGL 4.3 compute backend. Its methods may be called from any
// goroutine; they are run in order on the goroutine that owns the context.
type GL struct {
	w    *worker
	info Info

	// Owned by the GL thread.
	ctx     platformContext
	progs   map[string]*program
	pool    pool
	dummy   uint32 // bound where a kernel's optional input is absent
	curProg uint32
	bound   [8]uint32
	profile map[string]*kernelTime // per-kernel time when profiling (tests, benchmarks)

	// Buffers not yet released, in bytes. A GC is started every gcStep
	// bytes so that buffers dropped without Free come back: their Go
	// handles are small, so the heap alone would rarely trigger one.
	outstanding atomic.Int64
	nextGC      atomic.Int64
	gcStep      int64
	gcRunning   atomic.Bool
}

// gcStepFor is the allocation between forced collections: an eighth of the
// GPU's memory where the driver reports it, between 256 MiB and 4 GiB.
func gcStepFor(memoryKB int) int64 {
	return min(max(int64(memoryKB)<<10/8, 256<<20), 4<<30)
}

// kernels lists every program compiled when the backend opens, so that a
// driver that cannot build one fails Open (and the engine falls back to
// the CPU) rather than failing in the middle of a run.
func kernels() []kernelSpec {
	ks := []kernelSpec{
		{file: "unary"}, {file: "unary_grad"}, {file: "binary"}, {file: "axpy"},
		{file: "sumto"}, {file: "sumto", defines: []string{"PER_GROUP 1"}},
		{file: "reduce_rows"}, {file: "reduce_cols"}, {file: "permute"},
		{file: "im2col"}, {file: "col2im"},
		{file: "maxpool"}, {file: "maxpool_grad"}, {file: "avgpool"}, {file: "avgpool_grad"},
		{file: "softmax"}, {file: "softmax_grad"}, {file: "softmax_xent"},
		{file: "channel_stats"}, {file: "channel_affine"}, {file: "dropout"},
		{file: "sgd"}, {file: "adam"}, {file: "gemm_reduce"},
	}
	for _, t := range gemmTiles {
		ks = append(ks, t.spec())
	}
	return append(append(ks, convKernels()...), fusedKernels()...)
}

func open(forceShaderFail bool) (*GL, error) {
	g := &GL{progs: map[string]*program{}, pool: newPool()}
	w, err := startWorker(func() error {
		ctx, platform, err := newPlatformContext()
		if err != nil {
			return err
		}
		ok := false
		defer func() {
			if !ok {
				ctx.release()
			}
		}()
		loadOnce.Do(func() {
			if err := gl.InitWithProcAddrFunc(ctx.procAddr); err != nil {
				loadErr = fmt.Errorf("the OpenGL library lacks %s, which OpenGL 4.3 needs", err)
			}
		})
		if loadErr != nil {
			return loadErr
		}
		g.ctx = ctx
		g.info = queryInfo(platform)
		if !atLeast43(g.info.Version) {
			return fmt.Errorf("%s gives OpenGL %s; compute shaders need 4.3", g.info.Renderer, g.info.Version)
		}
		if forceShaderFail {
			broken := kernelSpec{file: "unary", extra: "\nfloat broken = this_function_does_not_exist(1.0);\n"}
			if _, err := compileProgram(broken); err != nil {
				return fmt.Errorf("%s (forced by %s=shader)", err, ForceFailEnv)
			}
			return errors.New("the driver accepted a deliberately broken kernel")
		}
		for _, k := range kernels() {
			p, err := compileProgram(k)
			if err != nil {
				return fmt.Errorf("%s: %w", g.info.Renderer, err)
			}
			g.progs[k.key()] = p
		}
		gl.GenBuffers(1, &g.dummy)
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, g.dummy)
		gl.BufferData(gl.SHADER_STORAGE_BUFFER, 16, nil, gl.DYNAMIC_COPY)
		if e := gl.GetError(); e != gl.NO_ERROR {
			return fmt.Errorf("%s: OpenGL error 0x%x while setting up", g.info.Renderer, e)
		}
		ok = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.w = w
	g.gcStep = gcStepFor(g.info.MemoryKB)
	g.nextGC.Store(g.gcStep)
	return g, nil
}

func atLeast43(version string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 4 || (major == 4 && minor >= 3)
}

func queryInfo(platform string) Info {
	str := func(e uint32) string {
		if p := gl.GetString(e); p != nil {
			return gl.GoStr(p)
		}
		return ""
	}
	geti := func(e uint32) int {
		var v int32
		gl.GetIntegerv(e, &v)
		return int(v)
	}
	in := Info{
		Renderer: str(gl.RENDERER), Vendor: str(gl.VENDOR), Version: str(gl.VERSION),
		GLSL: str(gl.SHADING_LANGUAGE_VERSION), Platform: platform,
		MaxInvocations:  geti(gl.MAX_COMPUTE_WORK_GROUP_INVOCATIONS),
		MaxSharedMemory: geti(gl.MAX_COMPUTE_SHARED_MEMORY_SIZE),
		MaxSSBOBindings: geti(gl.MAX_SHADER_STORAGE_BUFFER_BINDINGS),
	}
	for i := range 3 {
		var v int32
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_SIZE, uint32(i), &v)
		in.MaxWorkGroupSize[i] = int(v)
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_COUNT, uint32(i), &v)
		in.MaxWorkGroupCount[i] = int(v)
	}
	var s int64
	gl.GetInteger64v(gl.MAX_SHADER_STORAGE_BLOCK_SIZE, &s)
	in.MaxSSBOSize = s
	var n int32
	gl.GetIntegerv(gl.NUM_EXTENSIONS, &n)
	for i := range n {
		switch gl.GoStr(gl.GetStringi(gl.EXTENSIONS, uint32(i))) {
		case "GL_NVX_gpu_memory_info":
			in.MemoryKB = geti(0x9047) // GPU_MEMORY_INFO_DEDICATED_VIDMEM_NVX
		case "GL_ATI_meminfo":
			var v [4]int32
			gl.GetIntegerv(0x87FC, &v[0]) // VBO_FREE_MEMORY_ATI: free, not total
			in.MemoryKB = int(v[0])
		}
	}
	gl.GetError() // an unknown enum above must not linger
	in.Software = isSoftware(in.Renderer)
	return in
}

// softwareNames are substrings of the renderer strings of software
// rasterisers.
var softwareNames = []string{"llvmpipe", "softpipe", "swrast", "swiftshader", "microsoft basic render"}

func isSoftware(renderer string) bool {
	r := strings.ToLower(renderer)
	for _, s := range softwareNames {
		if strings.Contains(r, s) {
			return true
		}
	}
	return false
}

// Software returns the renderer's name when it is a software rasteriser
// (Mesa's llvmpipe on a machine without a GPU), else "". backend.Choose
// ("auto") then prefers the CPU backend, which is faster.
func (g *GL) Software() string {
	if g.info.Software {
		return g.Describe()
	}
	return ""
}

// Info returns the renderer, version and compute limits of the context.
func (g *GL) Info() Info { return g.info }

// Name implements backend.Backend.
func (g *GL) Name() string { return "gl" }

// Describe implements backend.Backend: the renderer's name.
func (g *GL) Describe() string { return strings.TrimSpace(g.info.Renderer) }

// prog returns a compiled program (GL thread). Every kernel the backend
// uses is compiled when it opens; a variant first asked for later is
// compiled then and cached.
func (g *GL) prog(k kernelSpec) *program {
	p, ok := g.progs[k.key()]
	if !ok {
		var err error
		if p, err = compileProgram(k); err != nil {
			panic(fmt.Sprintf("opengl: %s: %v", g.info.Renderer, err))
		}
		g.progs[k.key()] = p
	}
	return p
}

// dispatch runs p over the given workgroups with buffers bound to binding
// points 0, 1, ... (GL thread), then orders its writes before later
// kernels, copies and reads.
func (g *GL) dispatch(p *program, x, y, z int, bufs ...uint32) {
	if g.curProg != p.id {
		gl.UseProgram(p.id)
		g.curProg = p.id
	}
	for i, b := range bufs {
		if g.bound[i] != b {
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, uint32(i), b)
			g.bound[i] = b
		}
	}
	var start time.Time
	if g.profile != nil {
		gl.Finish()
		start = time.Now()
	}
	gl.DispatchCompute(uint32(x), uint32(y), uint32(z))
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT | gl.BUFFER_UPDATE_BARRIER_BIT)
	if g.profile != nil {
		gl.Finish()
		kt := g.profile[p.name]
		if kt == nil {
			kt = &kernelTime{}
			g.profile[p.name] = kt
		}
		kt.calls++
		kt.total += time.Since(start)
	}
}

// kernelTime is one kernel's share of a profile.
type kernelTime struct {
	calls int
	total time.Duration
}

// setProfiling turns per-kernel timing on (each dispatch then waits for the
// GPU, so it slows everything down) or off, and returns what was recorded.
func (g *GL) setProfiling(on bool) map[string]kernelTime {
	out := map[string]kernelTime{}
	g.w.call(func() {
		for k, v := range g.profile {
			out[k] = *v
		}
		g.profile = nil
		if on {
			g.profile = map[string]*kernelTime{}
		}
	})
	return out
}

// groups is the workgroup count of a grid-stride kernel over n items.
func (g *GL) groups(n, per int) int {
	return max(1, min((n+per-1)/per, g.info.MaxWorkGroupCount[0]))
}

// buf is a GL buffer of n float32 values.
type buf struct {
	n       int
	h       *handle
	g       *GL
	freed   atomic.Bool
	cleanup runtime.Cleanup
}

// handle is the GL side of a buffer; id and released are touched only on
// the GL thread.
type handle struct {
	id       uint32
	bytes    int // size class
	released bool
}

// Len implements backend.Buffer.
func (b *buf) Len() int { return b.n }

// check returns the handle of a buffer of this backend holding at least
// need values; misuse panics with the problem named, as the CPU backend's
// slice bounds would.
func (g *GL) check(b backend.Buffer, need int, what string) *handle {
	if b == nil {
		panic(fmt.Sprintf("opengl: %s buffer is nil", what))
	}
	x, ok := b.(*buf)
	if !ok || x.g != g {
		panic(fmt.Sprintf("opengl: %s buffer belongs to another backend (%T)", what, b))
	}
	if x.freed.Load() {
		panic(fmt.Sprintf("opengl: %s buffer was freed", what))
	}
	if need > x.n || need < 0 {
		panic(fmt.Sprintf("opengl: %s buffer holds %d values; the kernel needs %d", what, x.n, need))
	}
	return x.h
}

// optional is check for an input that may be nil; it returns nil then.
func (g *GL) optional(b backend.Buffer, need int, what string) *handle {
	if b == nil {
		return nil
	}
	if x, ok := b.(*buf); ok && x == nil {
		return nil
	}
	return g.check(b, need, what)
}

// id is a handle's buffer name, or the dummy buffer for a nil handle (GL
// thread).
func (g *GL) id(h *handle) uint32 {
	if h == nil {
		return g.dummy
	}
	return h.id
}

// Alloc implements backend.Backend.
func (g *GL) Alloc(n int) backend.Buffer {
	if n < 0 {
		panic(fmt.Sprintf("opengl: Alloc of %d values", n))
	}
	if int64(n)*4 > g.info.MaxSSBOSize && g.info.MaxSSBOSize > 0 {
		panic(fmt.Sprintf("opengl: a buffer of %d values (%d MiB) exceeds the driver's storage block limit of %d MiB",
			n, int64(n)*4>>20, g.info.MaxSSBOSize>>20))
	}
	h := &handle{bytes: sizeClass(n)}
	b := &buf{n: n, h: h, g: g}
	b.cleanup = runtime.AddCleanup(b, func(h *handle) { g.release(h) }, h)
	if g.outstanding.Add(int64(h.bytes)) > g.nextGC.Load() && g.gcRunning.CompareAndSwap(false, true) {
		// In the background: a full collection of a large heap takes tens
		// of milliseconds, longer than a training step on a GPU.
		g.nextGC.Store(g.outstanding.Load() + g.gcStep)
		go func() {
			runtime.GC()
			g.gcRunning.Store(false)
		}()
	}
	g.w.post(func() {
		h.id = g.acquire(h.bytes)
		g.clear(h.id, 0, n, 0)
	})
	return b
}

// release returns a buffer to the pool (from Free or the GC's cleanup).
func (g *GL) release(h *handle) {
	g.outstanding.Add(-int64(h.bytes))
	g.w.post(func() {
		if h.released {
			return
		}
		h.released = true
		g.put(h.id, h.bytes)
	})
}

// Free implements backend.Backend.
func (g *GL) Free(b backend.Buffer) {
	x, ok := b.(*buf)
	if !ok || x == nil || x.g != g || x.freed.Swap(true) {
		return
	}
	x.cleanup.Stop()
	g.release(x.h)
}

// clear sets n values from off to v (GL thread).
func (g *GL) clear(id uint32, off, n int, v float32) {
	if n == 0 {
		return
	}
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, id)
	gl.ClearBufferSubData(gl.COPY_WRITE_BUFFER, gl.R32F, off*4, n*4, gl.RED, gl.FLOAT, gl.Ptr(&v))
}

// Write implements backend.Backend. The values are copied, so the caller
// may reuse src at once.
func (g *GL) Write(b backend.Buffer, off int, src []float32) {
	h := g.check(b, off+len(src), "Write's")
	if len(src) == 0 {
		return
	}
	data := append([]float32(nil), src...)
	g.w.post(func() {
		gl.BindBuffer(gl.COPY_WRITE_BUFFER, h.id)
		gl.BufferSubData(gl.COPY_WRITE_BUFFER, off*4, len(data)*4, gl.Ptr(data))
	})
}

// Read implements backend.Backend; it waits for the kernels before it.
func (g *GL) Read(b backend.Buffer, off int, dst []float32) {
	h := g.check(b, off+len(dst), "Read's")
	if len(dst) == 0 {
		return
	}
	g.w.call(func() {
		gl.BindBuffer(gl.COPY_READ_BUFFER, h.id)
		gl.GetBufferSubData(gl.COPY_READ_BUFFER, off*4, len(dst)*4, gl.Ptr(dst))
		if e := gl.GetError(); e != gl.NO_ERROR {
			panic(glErrorText(e))
		}
	})
}

// Copy implements backend.Backend.
func (g *GL) Copy(dst backend.Buffer, dstOff int, src backend.Buffer, srcOff, n int) {
	hd := g.check(dst, dstOff+n, "Copy's destination")
	hs := g.check(src, srcOff+n, "Copy's source")
	if n == 0 {
		return
	}
	if dstOff < 0 || srcOff < 0 {
		panic(fmt.Sprintf("opengl: Copy with negative offsets %d, %d", dstOff, srcOff))
	}
	if hd == hs && dstOff < srcOff+n && srcOff < dstOff+n {
		panic("opengl: Copy between overlapping ranges of one buffer")
	}
	g.w.post(func() {
		gl.BindBuffer(gl.COPY_READ_BUFFER, hs.id)
		gl.BindBuffer(gl.COPY_WRITE_BUFFER, hd.id)
		gl.CopyBufferSubData(gl.COPY_READ_BUFFER, gl.COPY_WRITE_BUFFER, srcOff*4, dstOff*4, n*4)
	})
}

// Fill implements backend.Backend.
func (g *GL) Fill(b backend.Buffer, v float32) {
	h := g.check(b, 0, "Fill's")
	n := b.Len()
	g.w.post(func() { g.clear(h.id, 0, n, v) })
}

// Sync waits until every kernel posted so far has run, and reports the
// first failure among them. Timings use it; Read does it implicitly.
func (g *GL) Sync() {
	g.w.call(func() { gl.Finish() })
}

func glErrorText(e uint32) string {
	switch e {
	case gl.OUT_OF_MEMORY:
		return "opengl: the GPU ran out of memory"
	case gl.INVALID_VALUE:
		return "opengl: GL_INVALID_VALUE (an argument out of range)"
	case gl.INVALID_OPERATION:
		return "opengl: GL_INVALID_OPERATION"
	}
	return fmt.Sprintf("opengl: OpenGL error 0x%x", e)
}
