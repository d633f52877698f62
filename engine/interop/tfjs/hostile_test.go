package tfjs

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/interop"
)

// memPackage serves model.json and the two shards from memory, split as
// synth.write splits them.
func memPackage(mj, blob []byte) *Package {
	half := min(len(blob)/2+1, len(blob))
	return &Package{ModelJSON: mj, Where: "model.json", files: memFiles{dir: ".", m: map[string][]byte{
		"model.json": mj, "group1-shard1of2.bin": blob[:half], "group1-shard2of2.bin": blob[half:]}}}
}

// edit decodes model.json, lets f change it and encodes it again.
func edit(t testing.TB, mj []byte, f func(m map[string]any)) []byte {
	var m map[string]any
	if err := json.Unmarshal(mj, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func layersOf(m map[string]any) []any {
	return m["modelTopology"].(map[string]any)["model_config"].(map[string]any)["config"].(map[string]any)["layers"].([]any)
}

func weightsOf(m map[string]any) []any {
	return m["weightsManifest"].([]any)[0].(map[string]any)["weights"].([]any)
}

func layerNamed(m map[string]any, name string) map[string]any {
	for _, l := range layersOf(m) {
		if l.(map[string]any)["name"] == name {
			return l.(map[string]any)
		}
	}
	panic(name)
}

// Hostile or damaged files are refused with a line that names the
// problem (ErrFormat, or the list of unsupported layers), never a panic
// and never a large allocation from a declared size.
func TestHostileFilesAreRefusedCleanly(t *testing.T) {
	mj, blob := functionalSynth().write(t, "", 7)
	if _, err := Import(memPackage(mj, blob), Options{}); err != nil {
		t.Fatalf("the unmodified model: %v", err)
	}
	cases := []struct {
		name string
		mj   []byte
		blob []byte
		want string // in the message
		uns  []string
	}{
		{"huge dims", edit(t, mj, func(m map[string]any) {
			weightsOf(m)[0].(map[string]any)["shape"] = []int{1 << 20, 1 << 20, 1 << 20, 8}
		}), blob, "too large", nil},
		{"negative dim", edit(t, mj, func(m map[string]any) { weightsOf(m)[0].(map[string]any)["shape"] = []int{3, -3, 3, 8} }), blob, "negative", nil},
		{"shard shorter than declared", mj, blob[:len(blob)-5], "truncated", nil},
		{"missing shard", edit(t, mj, func(m map[string]any) {
			m["weightsManifest"].([]any)[0].(map[string]any)["paths"] = []string{"group1-shard1of2.bin", "nope.bin"}
		}), blob, "missing", nil},
		{"path escaping the folder", edit(t, mj, func(m map[string]any) {
			m["weightsManifest"].([]any)[0].(map[string]any)["paths"] = []string{"../../etc/passwd"}
		}), blob, "plain relative path", nil},
		{"cycle", edit(t, mj, func(m map[string]any) {
			layerNamed(m, "c1")["inbound_nodes"] = []any{[]any{[]any{"add", 0, 0, map[string]any{}}}}
		}), blob, "cycle", nil},
		{"missing layer", edit(t, mj, func(m map[string]any) {
			layerNamed(m, "add")["inbound_nodes"] = []any{[]any{[]any{"s1", 0, 0, map[string]any{}}, []any{"ghost", 0, 0, map[string]any{}}}}
		}), blob, "ghost", nil},
		{"duplicate layer", edit(t, mj, func(m map[string]any) { layerNamed(m, "c2")["name"] = "c1" }), blob, "two layers", nil},
		{"weight of the wrong shape", edit(t, mj, func(m map[string]any) { weightsOf(m)[1].(map[string]any)["shape"] = []int{4, 2} }), blob, "shape", nil},
		{"uint8 without scale", edit(t, mj, func(m map[string]any) {
			for _, w := range weightsOf(m) {
				if q, ok := w.(map[string]any)["quantization"].(map[string]any); ok && q["dtype"] == "uint8" {
					delete(q, "scale")
				}
			}
		}), blob, "scale", nil},
		{"not JSON", []byte("{\"format\": \"layers-model\", "), blob, "not valid model.json", nil},
		{"graph model", []byte(`{"format": "graph-model", "modelTopology": {}}`), blob, "graph model", nil},
		{"huge input", edit(t, mj, func(m map[string]any) {
			layerNamed(m, "input_1")["config"].(map[string]any)["batch_input_shape"] = []any{nil, 1e12, 11, 3}
		}), blob, "batch_input_shape", nil},
		{"unsupported layers are all listed", edit(t, mj, func(m map[string]any) {
			layerNamed(m, "r6")["class_name"] = "Lambda"
			layerNamed(m, "dr")["class_name"] = "LSTM"
		}), blob, "LSTM, Lambda", []string{"LSTM", "Lambda"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Import(memPackage(c.mj, c.blob), Options{})
			if err == nil {
				t.Fatalf("imported %d nodes from a hostile file", len(m.Graph.Nodes))
			}
			var uns *interop.UnsupportedError
			if c.uns != nil {
				if !errors.As(err, &uns) || strings.Join(uns.Ops, ",") != strings.Join(c.uns, ",") {
					t.Fatalf("want unsupported %v, got %v", c.uns, err)
				}
			} else if !errors.Is(err, ErrFormat) {
				t.Fatalf("want ErrFormat, got %T %v", err, err)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("message %q should be one line mentioning %q", err, c.want)
			}
		})
	}
}

// FuzzImport feeds arbitrary model.json and shard bytes to the importer:
// it must return a model that passed Check, ErrFormat or an
// UnsupportedError, and never panic. The seeds are the synthetic models
// and hostile variants of them.
func FuzzImport(f *testing.F) {
	for _, s := range []synth{functionalSynth(), sequentialSynth()} {
		mj, blob := s.write(f, "", 1)
		f.Add(mj, blob)
		f.Add(mj, blob[:len(blob)/3])
		f.Add(edit(f, mj, func(m map[string]any) { weightsOf(m)[0].(map[string]any)["shape"] = []int{1 << 30, 1 << 30} }), blob)
	}
	mj, blob := functionalSynth().write(f, "", 1)
	f.Add(edit(f, mj, func(m map[string]any) {
		layerNamed(m, "c1")["inbound_nodes"] = []any{[]any{[]any{"add", 0, 0, map[string]any{}}}}
	}), blob)
	f.Add([]byte(`{"modelTopology":{"class_name":"Sequential","config":[{"class_name":"Dense","config":{"batch_input_shape":[null,3],"units":2}}]},"weightsManifest":[]}`), []byte{})
	f.Fuzz(func(t *testing.T, mj, blob []byte) {
		m, err := Import(memPackage(mj, blob), Options{})
		var uns *interop.UnsupportedError
		switch {
		case err == nil:
			if _, err := m.Check(); err != nil {
				t.Fatalf("Import returned a model that does not check: %v", err)
			}
		case errors.Is(err, ErrFormat), errors.As(err, &uns):
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line message %q", err)
			}
		default:
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}
