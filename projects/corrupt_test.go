package projects

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// entry is one zip entry of a hand-made container.
type entry struct {
	name     string
	data     []byte
	deflate  bool
	declared uint64 // if non-zero, the uncompressed size the headers claim
}

// buildZip makes a zip whose headers say whatever the entries say, true or not.
func buildZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		body := e.data
		method := zip.Store
		if e.deflate {
			var c bytes.Buffer
			fw, _ := flate.NewWriter(&c, flate.BestCompression)
			fw.Write(e.data)
			fw.Close()
			body, method = c.Bytes(), zip.Deflate
		}
		size := uint64(len(e.data))
		if e.declared != 0 {
			size = e.declared
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: method, CRC32: crc32.ChecksumIEEE(e.data),
			CompressedSize64: uint64(len(body)), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// st lays out a safetensors stream from a header and data, unpadded.
func st(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

const okManifest = `{"format_version":1,"name":"x"}`

var okTensors = st(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8))

// container makes a well-formed project zip around the given parts.
func container(t testing.TB, manifest string, tensors []byte) []byte {
	return buildZip(t, entry{name: ManifestEntry, data: []byte(manifest), deflate: true}, entry{name: TensorsEntry, data: tensors})
}

func openBytes(t testing.TB, b []byte) (*Project, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.wbproj")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return Open(path)
}

func encoded(t testing.TB, p *Project) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func smallProject() *Project {
	p := New("small")
	p.Hyper = Hyper{Optimizer: "adam", LR: 1e-3, Batch: 4, Epochs: 1}
	p.Tensors["weights/w"] = Tensor{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	p.Tensors["weights/b"] = Tensor{Shape: []int{2}, Data: []float32{-1, 1}}
	return p
}

func TestHandMadeContainerOpens(t *testing.T) {
	// The helpers above make files Open accepts, so the failures below come
	// from the one thing each case breaks.
	p, err := openBytes(t, container(t, okManifest, okTensors))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "x" || len(p.Tensors["w"].Data) != 2 {
		t.Fatalf("opened %+v", p)
	}
}

func TestOpenTruncatedAtEveryLength(t *testing.T) {
	b := encoded(t, smallProject())
	if _, err := openBytes(t, b); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		_, err := Decode(bytes.NewReader(b[:n]), int64(n))
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d of %d bytes: %v, want ErrCorrupt", n, len(b), err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "truncated or corrupt") || !strings.Contains(msg, "it was not modified — open its autosave or a backup") {
			t.Fatalf("truncated to %d bytes: message %q", n, msg)
		}
	}
	// And through a real file, to see the path in the message.
	_, err := openBytes(t, b[:len(b)/2])
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "f.wbproj: project file is truncated or corrupt (zip: not a valid zip file)") {
		t.Fatalf("message %q", err)
	}
}

func TestOpenWithAnyByteDamagedGivesTypedErrorOrValidProject(t *testing.T) {
	b := encoded(t, smallProject())
	kinds := map[error]int{}
	for i := range b {
		d := bytes.Clone(b)
		d[i] ^= 0x55
		p, err := Decode(bytes.NewReader(d), int64(len(d)))
		if err == nil {
			// Some bytes (timestamps, unused header fields) do not matter;
			// what opens must save again.
			if err := Encode(&bytes.Buffer{}, p); err != nil {
				t.Fatalf("byte %d: opened a project that cannot be saved: %v", i, err)
			}
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("byte %d: untyped error %v", i, err)
		}
		kinds[pe.Kind]++
	}
	if kinds[ErrCorrupt] == 0 {
		t.Fatalf("no damage detected as corruption: %v", kinds)
	}
}

func TestOpenDamagedTensorDataFailsChecksum(t *testing.T) {
	p := New("crc")
	p.Tensors["weights/w"] = Tensor{Shape: []int{4}, Data: []float32{1, 2, 3, 4}}
	b := encoded(t, p)
	i := bytes.Index(b, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}) // 1.0, 2.0 little-endian
	if i < 0 {
		t.Fatal("tensor data not found stored in the file")
	}
	b[i+3] = 0x40
	_, err := Decode(bytes.NewReader(b), int64(len(b)))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("Open = %v, want a checksum error", err)
	}
}

func TestOpenNewerVersionIsRefused(t *testing.T) {
	_, err := openBytes(t, container(t, `{"format_version":7,"name":"future","hyper":{"lr":"whatever"}}`, okTensors))
	if !errors.Is(err, ErrNewerVersion) {
		t.Fatalf("Open = %v, want ErrNewerVersion", err)
	}
	if !strings.HasSuffix(err.Error(), fmt.Sprintf("made by a newer Workbench (format 7, this version reads up to %d); update Workbench", FormatVersion)) {
		t.Fatalf("message %q", err)
	}
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Found != 7 || ve.Supported != FormatVersion {
		t.Fatalf("VersionError = %+v", ve)
	}
}

func TestOpenHostileAndBrokenFiles(t *testing.T) {
	m := func(s string) []byte { return container(t, s, okTensors) }
	tf := func(s []byte) []byte { return container(t, okManifest, s) }
	zeros := make([]byte, 16)
	cases := []struct {
		name string
		file []byte
		kind error
		msg  string
	}{
		{"empty file", nil, ErrCorrupt, "not a valid zip file"},
		{"garbage", []byte(strings.Repeat("not a zip ", 100)), ErrCorrupt, "not a valid zip file"},
		{"path escape", buildZip(t, entry{name: "../x", data: []byte("x")}), ErrUnsafe, `entry "../x" is a path that escapes`},
		{"deep path escape", buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest)}, entry{name: "a/../../b", data: nil}), ErrUnsafe, "escapes"},
		{"absolute path", buildZip(t, entry{name: "/etc/passwd", data: []byte("x")}), ErrUnsafe, "escapes"},
		{"windows path", buildZip(t, entry{name: `C:\x`, data: []byte("x")}), ErrUnsafe, "escapes"},
		{"unexpected entry", buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest)}, entry{name: "run.sh", data: []byte("rm -rf ~")}), ErrUnsafe, `unexpected entry "run.sh"`},
		{"duplicate manifest", buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest)}, entry{name: ManifestEntry, data: []byte(okManifest)}), ErrUnsafe, "appears twice"},
		{"no tensors", buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest)}), ErrCorrupt, "has no tensors.safetensors"},
		{"no manifest", buildZip(t, entry{name: TensorsEntry, data: okTensors}), ErrCorrupt, "has no manifest.json"},
		{"huge declared manifest", buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest), deflate: true, declared: 1 << 40}, entry{name: TensorsEntry, data: okTensors}), ErrUnsafe, "declares 1099511627776 bytes, more than the 67108864 allowed"},
		{"huge declared tensors", buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest)}, entry{name: TensorsEntry, data: okTensors, deflate: true, declared: 15 << 30}), ErrUnsafe, "more than compression can produce"},
		{"stored size lies", buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest)}, entry{name: TensorsEntry, data: okTensors, declared: 1 << 20}), ErrCorrupt, "declares 1048576 bytes uncompressed"},
		{"manifest size lies", buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest), deflate: true, declared: 40}, entry{name: TensorsEntry, data: okTensors}), ErrCorrupt, "manifest.json"},
		{"manifest not JSON", m(`{"format_version":1,`), ErrInvalid, "manifest.json is not valid JSON"},
		{"manifest is a list", m(`[1,2]`), ErrInvalid, "the top level holds a JSON array where a JSON object belongs"},
		{"manifest is null", m(`null`), ErrInvalid, "not a JSON object"},
		{"wrong type lr", m(`{"format_version":1,"hyper":{"lr":"fast"}}`), ErrInvalid, "hyper.lr holds a JSON string where a number belongs"},
		{"wrong type nodes", m(`{"format_version":1,"graph":{"nodes":{"a":1}}}`), ErrInvalid, "graph.nodes holds a JSON object where a list belongs"},
		{"wrong type name", m(`{"format_version":1,"name":42}`), ErrInvalid, "name holds a JSON number where a string belongs"},
		{"absurd epochs", m(`{"format_version":1,"hyper":{"epochs":1e300}}`), ErrInvalid, "hyper.epochs holds a JSON number"},
		{"wrong type metric", m(`{"format_version":1,"runs":[{"id":"a","epochs":[{"epoch":1,"train_loss":"low"}]}]}`), ErrInvalid, `"low" is not a number`},
		{"version is a string", m(`{"format_version":"1"}`), ErrInvalid, `format_version is "1", not a number`},
		{"version is fractional", m(`{"format_version":1.5}`), ErrInvalid, "not a whole number"},
		{"version is negative", m(`{"format_version":-3}`), ErrInvalid, "not a whole number"},
		{"unknown preprocess", m(`{"format_version":1,"preprocess":{"mode":"zca"}}`), ErrInvalid, `preprocess.mode "zca" is unknown`},
		{"negative dataset", m(`{"format_version":1,"dataset":{"val":-5}}`), ErrInvalid, "dataset.val is -5"},
		{"short safetensors", tf([]byte{1, 2, 3}), ErrCorrupt, "shorter than its 8-byte header length"},
		{"huge header length", tf(binary.LittleEndian.AppendUint64(nil, 1<<62)), ErrCorrupt, "declares a 4611686018427387904-byte header"},
		{"header not JSON", tf(st(`{"w":`, nil)), ErrInvalid, "not valid JSON"},
		{"header is a list", tf(st(`[]`, nil)), ErrInvalid, "not a JSON object"},
		{"trailing header junk", tf(st(`{} {}`, nil)), ErrInvalid, "unexpected data after"},
		{"unknown dtype", tf(st(`{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}`, zeros[:8])), ErrInvalid, `unknown dtype "Q4"`},
		{"other dtype", tf(st(`{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, zeros[:8])), ErrInvalid, "dtype F64; project files store F32 only"},
		{"fractional dim", tf(st(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}`, zeros[:8])), ErrInvalid, "shape entry 1.5, which is not a whole number"},
		{"negative dim", tf(st(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, zeros[:8])), ErrInvalid, "shape entry -2"},
		{"string dim", tf(st(`{"w":{"dtype":"F32","shape":["NaN"],"data_offsets":[0,8]}}`, zeros[:8])), ErrInvalid, "wrong JSON types"},
		{"huge shape", tf(st(`{"w":{"dtype":"F32","shape":[1000000,1000000,1000000],"data_offsets":[0,8]}}`, zeros[:8])), ErrInvalid, "more than 17179869184 bytes"},
		{"missing dtype", tf(st(`{"w":{"shape":[2],"data_offsets":[0,8]}}`, zeros[:8])), ErrInvalid, "lacks dtype"},
		{"three offsets", tf(st(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}}`, zeros[:8])), ErrInvalid, "there must be 2"},
		{"offsets out of range", tf(st(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, zeros[:8])), ErrInvalid, "outside the 8 bytes of data"},
		{"offsets reversed", tf(st(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, zeros[:8])), ErrInvalid, "outside"},
		{"offsets disagree with shape", tf(st(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, zeros[:8])), ErrInvalid, "(12 bytes as F32) but data offsets [0, 8]"},
		{"overlapping tensors", tf(st(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, zeros[:12])), ErrInvalid, "overlaps"},
		{"gap between tensors", tf(st(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, zeros[:12])), ErrInvalid, "gap of 4 bytes"},
		{"unclaimed data", tf(st(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros[:12])), ErrInvalid, "cover 4 bytes of data but the file holds 12"},
		{"duplicate tensor", tf(st(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, zeros[:8])), ErrInvalid, `tensor "a" appears twice`},
		{"escaping tensor name", tf(st(`{"../a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros[:4])), ErrInvalid, `".." path segment`},
		{"bad metadata", tf(st(`{"__metadata__":{"a":1}}`, nil)), ErrInvalid, "__metadata__ must map strings to strings"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := openBytes(t, c.file)
			if !errors.Is(err, c.kind) {
				t.Fatalf("Open = %v, want kind %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("message %q does not contain %q", err, c.msg)
			}
			if !strings.Contains(err.Error(), "f.wbproj: ") {
				t.Fatalf("message %q does not name the file", err)
			}
		})
	}
}

func TestHugeDeclaredSizesAllocateLittle(t *testing.T) {
	files := [][]byte{
		buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest), deflate: true, declared: 60 << 20}, entry{name: TensorsEntry, data: okTensors}),
		buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest)}, entry{name: TensorsEntry, data: okTensors, deflate: true, declared: 8 << 30}),
		container(t, okManifest, binary.LittleEndian.AppendUint64(nil, 60<<20)),
		container(t, okManifest, st(`{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}`, nil)),
	}
	for i, f := range files {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Decode(bytes.NewReader(f), int64(len(f)))
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatalf("file %d opened", i)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
			t.Fatalf("file %d: allocated %d bytes before refusing (%v)", i, d, err)
		}
	}
}

// A deflated entry may claim up to the most deflate can expand its real
// bytes to; what it claims is allocated only as the data arrives.
func TestDeflatedTensorsThatEndEarlyAllocateLittle(t *testing.T) {
	const elems = 9 << 20
	noise := make([]byte, 48<<10)
	x := uint32(1)
	for i := range noise {
		x = x*1664525 + 1013904223
		noise[i] = byte(x >> 24)
	}
	body := st(fmt.Sprintf(`{"w":{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}}`, elems, 4*elems), noise)
	hdrLen := len(body) - len(noise)
	f := buildZip(t, entry{name: ManifestEntry, data: []byte(okManifest)},
		entry{name: TensorsEntry, data: body, deflate: true, declared: uint64(hdrLen + 4*elems)})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Decode(bytes.NewReader(f), int64(len(f)))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `cannot read the data of tensor "w"`) {
		t.Fatalf("Decode = %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 12<<20 {
		t.Fatalf("allocated %d bytes for %d bytes of real data", d, len(noise))
	}
}
