//go:build linux || windows

package opengl

import (
	"embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"
	"github.com/workbench-cv/workbench/engine/backend"
)

//go:embed shaders/*.comp shaders/*.glsl
var shaderFS embed.FS

// program is a linked compute program and its uniform locations.
type program struct {
	id   uint32
	name string
	locs map[string]int32
}

// kernelSpec names a kernel source and the defines of one variant.
type kernelSpec struct {
	file    string   // shaders/<file>.comp
	defines []string // "NAME VALUE"
	extra   string   // appended GLSL (the forced-failure test's broken line)
}

func (k kernelSpec) key() string { return k.file + "|" + strings.Join(k.defines, ";") + "|" + k.extra }

// opDefines makes the U_*/B_* op codes of the shaders from the backend's
// constants, so the two cannot drift apart.
func opDefines() string {
	var b strings.Builder
	for op := backend.Neg; op <= backend.Clamp; op++ {
		fmt.Fprintf(&b, "#define U_%s %d\n", strings.ToUpper(op.String()), int(op))
	}
	for op := backend.Add; op <= backend.GreaterMask; op++ {
		fmt.Fprintf(&b, "#define B_%s %d\n", strings.ToUpper(op.String()), int(op))
	}
	return b.String()
}

var includeRE = regexp.MustCompile(`(?m)^#include "([a-z_]+\.glsl)"\s*$`)

// source assembles a kernel's GLSL: version, defines, op codes, the common
// helpers, then the kernel with its #include lines expanded.
func (k kernelSpec) source() (string, error) {
	body, err := shaderFS.ReadFile("shaders/" + k.file + ".comp")
	if err != nil {
		return "", fmt.Errorf("no kernel source %q", k.file)
	}
	common, err := shaderFS.ReadFile("shaders/common.glsl")
	if err != nil {
		return "", err
	}
	var inclErr error
	expanded := includeRE.ReplaceAllStringFunc(string(body), func(line string) string {
		name := includeRE.FindStringSubmatch(line)[1]
		b, err := shaderFS.ReadFile("shaders/" + name)
		if err != nil {
			inclErr = fmt.Errorf("kernel %s includes missing %s", k.file, name)
		}
		return string(b)
	})
	if inclErr != nil {
		return "", inclErr
	}
	var s strings.Builder
	s.WriteString("#version 430 core\n")
	for _, d := range k.defines {
		s.WriteString("#define " + d + "\n")
	}
	s.WriteString(opDefines())
	s.Write(common)
	s.WriteString("\n")
	s.WriteString(expanded)
	s.WriteString(k.extra)
	return s.String(), nil
}

// compileProgram compiles and links one compute program (GL thread). The
// error quotes the driver's log.
func compileProgram(k kernelSpec) (*program, error) {
	src, err := k.source()
	if err != nil {
		return nil, err
	}
	sh := gl.CreateShader(gl.COMPUTE_SHADER)
	if sh == 0 {
		return nil, fmt.Errorf("glCreateShader(GL_COMPUTE_SHADER) failed (GL error 0x%x)", gl.GetError())
	}
	defer gl.DeleteShader(sh)
	csrc, free := gl.Strs(src + "\x00")
	gl.ShaderSource(sh, 1, csrc, nil)
	free()
	gl.CompileShader(sh)
	var ok int32
	gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
	if ok == 0 {
		return nil, fmt.Errorf("the driver rejected kernel %s: %s", k.file, shaderLog(sh, false))
	}
	p := gl.CreateProgram()
	gl.AttachShader(p, sh)
	gl.LinkProgram(p)
	gl.GetProgramiv(p, gl.LINK_STATUS, &ok)
	if ok == 0 {
		msg := shaderLog(p, true)
		gl.DeleteProgram(p)
		return nil, fmt.Errorf("the driver could not link kernel %s: %s", k.file, msg)
	}
	return &program{id: p, name: k.key(), locs: map[string]int32{}}, nil
}

func shaderLog(id uint32, isProgram bool) string {
	var n int32
	if isProgram {
		gl.GetProgramiv(id, gl.INFO_LOG_LENGTH, &n)
	} else {
		gl.GetShaderiv(id, gl.INFO_LOG_LENGTH, &n)
	}
	if n <= 1 {
		return "(no log)"
	}
	buf := make([]uint8, n+1)
	if isProgram {
		gl.GetProgramInfoLog(id, n, nil, &buf[0])
	} else {
		gl.GetShaderInfoLog(id, n, nil, &buf[0])
	}
	return strings.TrimSpace(gl.GoStr(&buf[0]))
}

func (p *program) loc(name string) int32 {
	l, ok := p.locs[name]
	if !ok {
		l = gl.GetUniformLocation(p.id, gl.Str(name+"\x00"))
		p.locs[name] = l
	}
	return l
}

func (p *program) setInt(name string, v int) { gl.ProgramUniform1i(p.id, p.loc(name), int32(v)) }

func (p *program) setBool(name string, v bool) {
	var i int32
	if v {
		i = 1
	}
	gl.ProgramUniform1i(p.id, p.loc(name), i)
}

func (p *program) setFloat(name string, v float32) { gl.ProgramUniform1f(p.id, p.loc(name), v) }

func (p *program) setInts(name string, v []int32) {
	if len(v) > 0 {
		gl.ProgramUniform1iv(p.id, p.loc(name), int32(len(v)), &v[0])
	}
}

func (p *program) setUvec2(name string, x, y uint32) { gl.ProgramUniform2ui(p.id, p.loc(name), x, y) }
