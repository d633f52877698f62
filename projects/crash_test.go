package projects

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashChildEnv makes the test binary a child that saves big projects to a
// target in a loop until it is killed: "ROUND:PATH".
const crashChildEnv = "WORKBENCH_PROJECTS_SAVE_CHILD"

// crashElems is the size of the child's tensor: 32 MiB, so that a save
// takes long enough to be killed in the middle.
const crashElems = 8 << 20

func crashProject(round, gen int) *Project {
	p := New(fmt.Sprintf("round %d gen %d", round, gen))
	d := make([]float32, crashElems)
	for i := range d {
		d[i] = float32(gen*1000 + i%1000)
	}
	p.Tensors["weights/big"] = Tensor{Shape: []int{crashElems / 1024, 1024}, Data: d}
	return p
}

func runSaveChild(spec string) {
	r, path, _ := strings.Cut(spec, ":")
	round, _ := strconv.Atoi(r)
	for gen := 1; ; gen++ {
		if err := Save(crashProject(round, gen), path); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("saved", gen)
	}
}

// TestSaveKilledMidwayKeepsPreviousFile kills (SIGKILL) a process in the
// middle of saving, at several points of the write, and checks that the
// target then opens as either the previous project or the new one, complete.
func TestSaveKilledMidwayKeepsPreviousFile(t *testing.T) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		runSaveChild(spec)
		return
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "victim.wbproj")
	old := smallProject()
	old.Name = "old"
	if err := Save(old, target); err != nil {
		t.Fatal(err)
	}
	previous := "old"
	full := int64(4 * crashElems)
	rounds := []struct {
		afterSaves int   // complete saves to wait for before the kill
		written    int64 // bytes of the temporary file to wait for
	}{
		{0, 0}, {0, full / 3}, {0, 2 * full / 3}, {1, full / 2}, {2, 1},
	}
	interrupted := 0
	for round, rd := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSaveKilledMidwayKeepsPreviousFile$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d:%s", crashChildEnv, round, target))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		saved := 0
		var lines []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				mu.Lock()
				lines = append(lines, sc.Text())
				if n, ok := strings.CutPrefix(sc.Text(), "saved "); ok {
					saved, _ = strconv.Atoi(n)
				}
				mu.Unlock()
			}
		}()
		sawTemp := false
		deadline := time.Now().Add(2 * time.Minute)
		for !sawTemp {
			mu.Lock()
			ready := saved >= rd.afterSaves
			mu.Unlock()
			if ready {
				ents, _ := os.ReadDir(dir)
				for _, e := range ents {
					if fi, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), ".victim.wbproj.tmp-") && fi.Size() >= rd.written && fi.Size() < full {
						sawTemp = true
					}
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("round %d: the child never reached the point to kill it (output %q)", round, lines)
			}
			if !sawTemp {
				time.Sleep(50 * time.Microsecond)
			}
		}
		if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
			t.Fatal(err)
		}
		<-done
		cmd.Wait()
		mu.Lock()
		n := saved
		mu.Unlock()

		// The save in progress may have completed between our look and the
		// kill; then the target holds it. Anything else is a failure.
		want := map[string]bool{fmt.Sprintf("round %d gen %d", round, n+1): true}
		if n == 0 {
			want[previous] = true
		} else {
			want[fmt.Sprintf("round %d gen %d", round, n)] = true
		}
		p, err := Open(target)
		if err != nil {
			t.Fatalf("round %d: after the kill the project does not open: %v", round, err)
		}
		if !want[p.Name] {
			t.Fatalf("round %d: target holds %q, want one of %v", round, p.Name, want)
		}
		if p.Name == "old" {
			sameTensors(t, old.Tensors, p.Tensors)
		} else {
			var gen int
			fmt.Sscanf(p.Name, "round %d gen %d", new(int), &gen)
			d := p.Tensors["weights/big"].Data
			if len(d) != crashElems {
				t.Fatalf("round %d: big tensor has %d values", round, len(d))
			}
			for i, v := range d {
				if v != float32(gen*1000+i%1000) {
					t.Fatalf("round %d: value %d of %q is %v", round, i, p.Name, v)
				}
			}
		}
		if p.Name != fmt.Sprintf("round %d gen %d", round, n+1) {
			interrupted++ // the kill landed before the save in progress renamed its file
		}
		t.Logf("round %d: killed after %d complete saves with a temporary file of ≥%d bytes; target holds %q", round, n, rd.written, p.Name)
		previous = p.Name
	}
	if interrupted == 0 {
		t.Fatal("no kill landed in the middle of a save")
	}
}
