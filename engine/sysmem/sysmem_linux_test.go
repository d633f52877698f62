package sysmem

import (
	"os"
	"path/filepath"
	"testing"
)

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMemAvailableReadsKilobytes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "meminfo")
	write(t, p, "MemTotal:       24683772 kB\nMemFree:  100 kB\nMemAvailable:   23742236 kB\n")
	if n, ok := memAvailable(p); !ok || n != 23742236*1024 {
		t.Fatalf("memAvailable = %d %v", n, ok)
	}
	write(t, p, "MemTotal: 5 kB\n")
	if _, ok := memAvailable(p); ok {
		t.Fatal("a file without MemAvailable gave a value")
	}
}

// TestCgroupLimitOfAParentCounts: a container's limit is usually on a
// parent of the process's own group.
func TestCgroupLimitOfAParentCounts(t *testing.T) {
	root := t.TempDir()
	self := filepath.Join(root, "self")
	write(t, self, "0::/box/job\n")
	write(t, filepath.Join(root, "box/memory.max"), "4000000000\n")
	write(t, filepath.Join(root, "box/memory.current"), "1000000000\n")
	write(t, filepath.Join(root, "box/job/memory.max"), "max\n")
	write(t, filepath.Join(root, "box/job/memory.current"), "900000000\n")
	if n, ok := cgroupRoom(root, self); !ok || n != 3000000000 {
		t.Fatalf("cgroupRoom = %d %v, want 3000000000", n, ok)
	}
	write(t, filepath.Join(root, "box/memory.max"), "max\n")
	if n, ok := cgroupRoom(root, self); ok {
		t.Fatalf("no limit anywhere gave %d", n)
	}
}

func TestAvailableOnThisMachine(t *testing.T) {
	n, ok := Available()
	if !ok || n <= 0 {
		t.Fatalf("Available = %d %v on Linux", n, ok)
	}
}
