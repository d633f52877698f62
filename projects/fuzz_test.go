package projects

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// checkDecoded is the property every fuzz target checks: a file either
// fails with a typed *Error that has a kind and a message, or it opens as a
// project that saves and opens again unchanged.
func checkDecoded(t *testing.T, p *Project, err error) {
	t.Helper()
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		known := false
		for _, k := range []error{ErrRead, ErrCorrupt, ErrUnsafe, ErrInvalid, ErrNewerVersion} {
			known = known || pe.Kind == k
		}
		if !known || pe.Problem == "" || pe.Fix == "" {
			t.Fatalf("error without kind, problem or fix: %#v", pe)
		}
		return
	}
	var buf bytes.Buffer
	if err := Encode(&buf, p); err != nil {
		t.Fatalf("opened a project that cannot be saved: %v", err)
	}
	q, err := Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("a saved project does not open: %v", err)
	}
	a, err1 := json.Marshal(p)
	b, err2 := json.Marshal(q)
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Fatalf("manifest changes on save and open (%v, %v):\n%s\n%s", err1, err2, a, b)
	}
	if len(p.Tensors) != len(q.Tensors) {
		t.Fatalf("%d tensors became %d", len(p.Tensors), len(q.Tensors))
	}
	for name, x := range p.Tensors {
		y := q.Tensors[name]
		if len(x.Data) != len(y.Data) || len(x.Shape) != len(y.Shape) {
			t.Fatalf("tensor %q changed size", name)
		}
		for i := range x.Data {
			if math.Float32bits(x.Data[i]) != math.Float32bits(y.Data[i]) {
				t.Fatalf("tensor %q[%d] changed", name, i)
			}
		}
	}
}

// FuzzOpen feeds whole files to the loader. Its seed corpus is in
// testdata/fuzz/FuzzOpen and runs with every `go test`.
func FuzzOpen(f *testing.F) {
	small := encoded(f, smallProject())
	f.Add(small)
	f.Add(small[:len(small)/2])
	f.Add(encoded(f, richProject()))
	f.Add(container(f, v0Manifest, v0Tensors))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(bytes.NewReader(b), int64(len(b)))
		checkDecoded(t, p, err)
	})
}

// FuzzManifestAndTensors wraps fuzzed manifest and tensor bytes in a well-formed zip,
// so that mutations reach the JSON and safetensors parsers instead of
// failing the zip checksums.
func FuzzManifestAndTensors(f *testing.F) {
	p := richProject()
	full := encoded(f, p)
	_, manifest := zipEntry(f, full, ManifestEntry)
	_, tensors := zipEntry(f, full, TensorsEntry)
	f.Add(manifest, tensors)
	f.Add([]byte(okManifest), okTensors)
	f.Add([]byte(v0Manifest), v0Tensors)
	f.Add([]byte(`{"format_version":1,"runs":[{"id":"a","losses":["NaN",1],"epochs":[{"train_loss":"-Inf"}]}]}`),
		st(`{"__metadata__":{"a":"b"},"x/y":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Fuzz(func(t *testing.T, manifest, tensors []byte) {
		b := buildZip(t, entry{name: ManifestEntry, data: manifest}, entry{name: TensorsEntry, data: tensors})
		p, err := Decode(bytes.NewReader(b), int64(len(b)))
		checkDecoded(t, p, err)
	})
}

// TestFuzzOpenSeedCorpus checks that the committed seeds are what their
// names say, so the corpus keeps exercising both sides of the loader.
func TestFuzzOpenSeedCorpus(t *testing.T) {
	want := map[string]error{
		"valid-small": nil, "format0": nil, "truncated-half": ErrCorrupt, "truncated-tail": ErrCorrupt,
		"garbage": ErrCorrupt, "newer-version": ErrNewerVersion, "path-escape": ErrUnsafe,
		"overlap-offsets": ErrInvalid, "huge-declared": ErrUnsafe,
	}
	for name, kind := range want {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzOpen", name))
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(string(raw), "go test fuzz v1\n[]byte(")
		body, ok2 := strings.CutSuffix(body, ")\n")
		b, err := strconv.Unquote(body)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s is not a fuzz corpus file: %v", name, err)
		}
		_, err = Decode(strings.NewReader(b), int64(len(b)))
		if kind == nil && err != nil || kind != nil && !errors.Is(err, kind) {
			t.Errorf("seed %s: Decode = %v, want %v", name, err, kind)
		}
	}
}
