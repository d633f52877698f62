package exchange

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/interop/onnx"
	"github.com/workbench-cv/workbench/engine/interop/tfjs"
	"github.com/workbench-cv/workbench/internal/kinderr"
)

// ErrInput marks errors caused by the input (exit 2 in the CLI).
var ErrInput = errors.New("bad input")

// inputf formats a message as an ErrInput.
func inputf(format string, a ...any) error { return kinderr.Errorf(ErrInput, format, a...) }

// Kind is a model format that can be imported.
type Kind string

const (
	ONNX Kind = "onnx"
	TFJS Kind = "tfjs"
)

// KindOf says which importer reads path: ONNX for a .onnx file, TFJS for a
// model.json (or any .json), an npm package (.tgz, .tar.gz) or a folder.
func KindOf(path string) (Kind, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", inputf("cannot read %s: %v", path, unwrap(err))
	}
	if st.IsDir() {
		return TFJS, nil
	}
	low := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(low, ".onnx"):
		return ONNX, nil
	case strings.HasSuffix(low, ".json"), strings.HasSuffix(low, ".tgz"), strings.HasSuffix(low, ".tar.gz"):
		return TFJS, nil
	}
	return "", inputf("%s is not a model Workbench imports: give an ONNX file (.onnx), a TensorFlow.js model.json or its folder, or an npm package (.tgz)", filepath.Base(path))
}

// Read imports the model at path with the importer KindOf picks (tfjs
// options apply to TensorFlow.js models only).
func Read(path string, opt tfjs.Options) (*interop.Model, error) {
	k, err := KindOf(path)
	if err != nil {
		return nil, err
	}
	if k == ONNX {
		m, err := ReadONNX(path)
		if err != nil {
			return nil, err
		}
		return &m.Model, nil
	}
	return ReadTFJS(path, opt)
}

// ReadTFJS imports a TensorFlow.js layers model: its folder, model.json or
// an npm package tarball.
func ReadTFJS(path string, opt tfjs.Options) (*interop.Model, error) {
	pkg, err := tfjs.Open(path)
	if err == nil {
		var m *interop.Model
		if m, err = tfjs.Import(pkg, opt); err == nil {
			return m, nil
		}
	}
	if errors.Is(err, tfjs.ErrFormat) {
		return nil, &kinderr.Error{Kind: ErrInput, Msg: err.Error()}
	}
	return nil, err
}

// ReadONNX imports an ONNX image model (its input must be N,C,H,W).
func ReadONNX(path string) (*onnx.Model, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, inputf("%s: %v", path, unwrap(err))
	case st.IsDir():
		return nil, inputf("%s is a folder; give the .onnx file", path)
	case st.Size() > onnx.MaxFileBytes:
		return nil, inputf("%s is %d bytes, more than ONNX's 2 GiB limit", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	m, err := onnx.Import(data)
	var uns *interop.UnsupportedError
	switch {
	case errors.As(err, &uns):
		return nil, err
	case err != nil:
		// Everything Import reports comes from the file's contents.
		return nil, inputf("%s: %v", path, err)
	}
	if len(m.Input) != 3 {
		return nil, inputf("%s takes feature vectors (%v); Workbench projects import image models (N,C,H,W)", path, m.Input)
	}
	return m, nil
}

// unwrap drops the "stat PATH:" prefix of an os error.
func unwrap(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
