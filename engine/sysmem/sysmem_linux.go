package sysmem

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// available is MemAvailable from /proc/meminfo, or less when a cgroup limit
// (a container, a systemd slice) leaves less room than that.
func available() (int64, bool) {
	avail, ok := memAvailable("/proc/meminfo")
	if room, ok2 := cgroupRoom("/sys/fs/cgroup", "/proc/self/cgroup"); ok2 && (!ok || room < avail) {
		avail, ok = room, true
	}
	if room, ok2 := addressSpaceRoom("/proc/self/status"); ok2 && (!ok || room < avail) {
		avail, ok = room, true
	}
	return avail, ok
}

// addressSpaceRoom is what `ulimit -v` (RLIMIT_AS) leaves of this process's
// address space, halved: the limit less VmSize, of which the Go heap can
// count on about half (it reserves address space in large arenas, and
// threads and BLAS buffers take their share; measured: a 3 GB limit that
// left 1 GB failed with 0.55 GB of heap in use). A Go program that reaches
// the limit dies with "fatal error: runtime: out of memory".
func addressSpaceRoom(status string) (int64, bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err != nil || lim.Cur == ^uint64(0) || lim.Cur > 1<<62 {
		return 0, false
	}
	used, ok := statusKB(status, "VmSize:")
	if !ok {
		return 0, false
	}
	return max(int64(lim.Cur)-used, 0) / 2, true
}

// statusKB reads a "Name:   123 kB" line of /proc/self/status, in bytes.
func statusKB(path, name string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			return n * 1024, err == nil && n >= 0
		}
	}
	return 0, false
}

// memAvailable reads the MemAvailable line ("MemAvailable: 123 kB").
func memAvailable(path string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		if len(fields) > 1 && strings.EqualFold(fields[1], "kB") {
			n *= 1024
		}
		return n, true
	}
	return 0, false
}

// cgroupRoom is the limit of the cgroup v2 this process is in (named in
// selfPath, under root) less its usage; ok is false without a limit.
func cgroupRoom(root, selfPath string) (int64, bool) {
	self, err := os.ReadFile(selfPath)
	if err != nil {
		return 0, false
	}
	group := ""
	for _, line := range strings.Split(string(self), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			group = strings.TrimSpace(rest)
		}
	}
	// The limit may be set on the group or on any parent.
	best, found := int64(0), false
	for dir := root + group; ; {
		if limit, ok := readInt(dir + "/memory.max"); ok {
			if used, ok := readInt(dir + "/memory.current"); ok {
				room := max(limit-used, 0)
				if !found || room < best {
					best, found = room, true
				}
			}
		}
		if len(dir) <= len(root) {
			break
		}
		i := strings.LastIndexByte(dir, '/')
		if i < len(root) {
			dir = root
		} else {
			dir = dir[:i]
		}
	}
	return best, found
}

// readInt reads a file holding one number ("max" means no limit).
func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	return n, err == nil && n >= 0
}
