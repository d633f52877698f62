package tfjs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tarball(t *testing.T, files map[string][]byte, lie map[string]int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range sortedKeys(files) {
		b := files[name]
		size := int64(len(b))
		if n, ok := lie[name]; ok {
			size = n
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Flush()
	zw.Close()
	return buf.Bytes()
}

// An npm package is read from its .tgz as it is: the model folder, the
// package name and assets/labels.json at the package root.
func TestTarballWithLabels(t *testing.T) {
	s := sequentialSynth()
	mj, blob := s.write(t, "", 5)
	half := len(blob)/2 + 1
	tgz := tarball(t, map[string][]byte{
		"package/package.json":               []byte(`{"name": "tiny_pkg"}`),
		"package/assets/labels.json":         []byte(`{"0": "a_b", "1": "c", "2": "d", "3": "e_f"}`),
		"package/Model/model.json":           mj,
		"package/Model/group1-shard1of2.bin": blob[:half],
		"package/Model/group1-shard2of2.bin": blob[half:],
		"package/node_modules/x/model.json":  []byte("{}"),
		"package/README.md":                  []byte("hello"),
	}, nil)
	path := filepath.Join(t.TempDir(), "tiny.tgz")
	if err := os.WriteFile(path, tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	pkg, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Name != "tiny_pkg" {
		t.Errorf("package name %q", pkg.Name)
	}
	m, err := Import(pkg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Classes, "|") != "a b|c|d|e f" {
		t.Errorf("classes %q", m.Classes)
	}
	if len(m.Notes) == 0 || !strings.Contains(m.Notes[0], "softmax") {
		t.Errorf("notes %q: the final softmax should be reported as left out", m.Notes)
	}

	// A header that claims more bytes than the entry has, and bytes that
	// are not gzip, are refused in one line.
	bad := tarball(t, map[string][]byte{"package/Model/model.json": mj}, map[string]int64{"package/Model/model.json": 1 << 40})
	if _, err := ReadTarball(bytes.NewReader(bad), "bad.tgz"); !errors.Is(err, ErrFormat) {
		t.Errorf("lying tar header: %v", err)
	}
	if _, err := ReadTarball(bytes.NewReader([]byte("not gzip at all")), "x.tgz"); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("not gzip: %v", err)
	}
	two := tarball(t, map[string][]byte{"a/model.json": mj, "b/model.json": mj}, nil)
	if _, err := ReadTarball(bytes.NewReader(two), "two.tgz"); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "several") {
		t.Errorf("two models: %v", err)
	}
}
