package sysmem

import (
	"fmt"
	"os"
	"os/exec"
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

func TestStatusKB(t *testing.T) {
	p := filepath.Join(t.TempDir(), "status")
	write(t, p, "Name:\tworkbench\nVmPeak:\t 2000 kB\nVmSize:\t  1500 kB\n")
	if n, ok := statusKB(p, "VmSize:"); !ok || n != 1500*1024 {
		t.Fatalf("VmSize = %d %v", n, ok)
	}
}

// TestUlimitVCounts runs a child under `ulimit -v`: the memory it may use
// is at most that limit (a Go program past it dies with a runtime trace).
func TestUlimitVCounts(t *testing.T) {
	if os.Getenv("WORKBENCH_SYSMEM_CHILD") == "1" {
		n, ok := Available()
		fmt.Println(n, ok)
		return
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no shell")
	}
	const limitKB = 8 << 20 // 8 GiB
	out, err := exec.Command(sh, "-c", fmt.Sprintf("ulimit -v %d && WORKBENCH_SYSMEM_CHILD=1 exec %q -test.run='^TestUlimitVCounts$'", limitKB, os.Args[0])).Output()
	if err != nil {
		t.Skipf("cannot run under ulimit -v: %v", err)
	}
	var n int64
	var ok bool
	if _, err := fmt.Sscan(string(out), &n, &ok); err != nil || !ok || n <= 0 || n > limitKB*1024 {
		t.Fatalf("under ulimit -v %d kB the child says %q", limitKB, out)
	}
}
