package projects

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

func zipEntry(t testing.TB, b []byte, name string) (*zip.File, []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return f, data
		}
	}
	t.Fatalf("no entry %s", name)
	return nil, nil
}

// TestFileLayoutIsZipOfManifestAndSafetensors checks the bytes against the
// safetensors specification, independently of the reader.
func TestFileLayoutIsZipOfManifestAndSafetensors(t *testing.T) {
	p := richProject()
	b := encoded(t, p)
	mf, manifest := zipEntry(t, b, ManifestEntry)
	if mf.Method != zip.Deflate {
		t.Errorf("manifest method %d, want deflate", mf.Method)
	}
	var doc map[string]any
	if err := json.Unmarshal(manifest, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["format_version"] != float64(FormatVersion) || doc["name"] != p.Name {
		t.Fatalf("manifest head: %v %v", doc["format_version"], doc["name"])
	}
	if _, ok := doc["tensors"]; ok {
		t.Fatal("tensors leaked into the manifest")
	}
	tf, raw := zipEntry(t, b, TensorsEntry)
	if tf.Method != zip.Store {
		t.Errorf("tensors method %d, want store", tf.Method)
	}
	n := binary.LittleEndian.Uint64(raw)
	if (8+n)%8 != 0 {
		t.Errorf("data starts at %d, not 8-byte aligned", 8+n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	data := raw[8+n:]
	if len(hdr) != len(p.Tensors)+1 {
		t.Fatalf("header has %d keys for %d tensors + metadata", len(hdr), len(p.Tensors))
	}
	for name, want := range p.Tensors {
		var e struct {
			Dtype       string `json:"dtype"`
			Shape       []int  `json:"shape"`
			DataOffsets []int  `json:"data_offsets"`
		}
		if err := json.Unmarshal(hdr[name], &e); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.Dtype != "F32" || !reflect.DeepEqual(e.Shape, append([]int{}, want.Shape...)) || e.DataOffsets[1]-e.DataOffsets[0] != 4*len(want.Data) {
			t.Fatalf("%s: header %+v", name, e)
		}
		for i, v := range want.Data {
			if got := binary.LittleEndian.Uint32(data[e.DataOffsets[0]+4*i:]); got != math.Float32bits(v) {
				t.Fatalf("%s[%d] stored as %08x, want %08x", name, i, got, math.Float32bits(v))
			}
		}
	}
}

// pythonInterop reads a project file with nothing but Python's zipfile,
// json, struct and numpy, following the safetensors rules, and writes one
// back with its own layout (deflated tensors, unsorted names, no padding).
const pythonInterop = `
import json, struct, sys, zipfile
import numpy as np

src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as z:
    assert sorted(z.namelist()) == ["manifest.json", "tensors.safetensors"], z.namelist()
    manifest = json.loads(z.read("manifest.json"))
    buf = z.read("tensors.safetensors")
(n,) = struct.unpack("<Q", buf[:8])
header = json.loads(buf[8:8 + n])
data = buf[8 + n:]
meta = header.pop("__metadata__", {})
out = {"name": manifest["name"], "version": manifest["format_version"], "tensors": {}}
end = 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
    b, e = info["data_offsets"]
    assert info["dtype"] == "F32" and b == end, (name, info, end)
    end = e
    arr = np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"])
    out["tensors"][name] = {"shape": list(arr.shape), "bits": arr.reshape(-1).view("<u4").tolist()}
assert end == len(data)
print(json.dumps(out))

# Write a project the way another tool might.
w = np.arange(6, dtype="<f4").reshape(2, 3) / 4
b = np.array([-1.5], dtype="<f4")
hdr = {"weights/b": {"dtype": "F32", "shape": [1], "data_offsets": [24, 28]},
       "weights/w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
h = json.dumps(hdr).encode()
st = struct.pack("<Q", len(h)) + h + w.tobytes() + b.tobytes()
manifest = {"format_version": 1, "name": "from python", "hyper": {"optimizer": "sgd", "lr": 0.5}}
with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("tensors.safetensors", st)
    z.writestr("manifest.json", json.dumps(manifest))
`

func TestPythonReadsAndWritesProjectFiles(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with numpy is required in CI: %v", err)
		}
		t.Skip("python3 with numpy not found:", err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "interop.py")
	os.WriteFile(script, []byte(pythonInterop), 0o644)
	src, dst := filepath.Join(dir, "go.wbproj"), filepath.Join(dir, "py.wbproj")
	p := richProject()
	if err := Save(p, src); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, script, src, dst).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("python: %v\n%s", err, stderr)
	}
	var got struct {
		Name    string
		Version int
		Tensors map[string]struct {
			Shape []int
			Bits  []uint32
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Name != p.Name || got.Version != FormatVersion || len(got.Tensors) != len(p.Tensors) {
		t.Fatalf("python saw %q v%d with %d tensors", got.Name, got.Version, len(got.Tensors))
	}
	for name, want := range p.Tensors {
		g := got.Tensors[name]
		if !reflect.DeepEqual(g.Shape, append([]int{}, want.Shape...)) || len(g.Bits) != len(want.Data) {
			t.Fatalf("%s: python saw shape %v with %d values", name, g.Shape, len(g.Bits))
		}
		for i, v := range want.Data {
			if g.Bits[i] != math.Float32bits(v) {
				t.Fatalf("%s[%d]: python read %08x, want %08x", name, i, g.Bits[i], math.Float32bits(v))
			}
		}
	}

	q, err := Open(dst)
	if err != nil {
		t.Fatalf("opening the file Python wrote: %v", err)
	}
	if q.Name != "from python" || q.Hyper.LR != 0.5 {
		t.Fatalf("python project: %+v", q)
	}
	sameTensors(t, map[string]Tensor{
		"weights/w": {Shape: []int{2, 3}, Data: []float32{0, 0.25, 0.5, 0.75, 1, 1.25}},
		"weights/b": {Shape: []int{1}, Data: []float32{-1.5}},
	}, q.Tensors)
}
