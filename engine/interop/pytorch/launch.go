package pytorch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LaunchOptions say how torchrun runs an exported training folder.
type LaunchOptions struct {
	// Dir is the folder ExportTraining wrote.
	Dir string
	// Python is the interpreter with torch (default /usr/bin/python3, or
	// $WORKBENCH_PYTHON); torchrun runs as `python -m torch.distributed.run`.
	Python string
	// NProc is the number of processes on this node (default 1).
	NProc int
	// NNodes, NodeRank and Rdzv spread the run over several machines
	// (torchrun's --nnodes, --node_rank and --rdzv_endpoint with the c10d
	// rendezvous); NNodes 0 or 1 is a single machine.
	NNodes, NodeRank int
	Rdzv             string
	// Device is "cpu", "cuda" or "auto" (CUDA when torch sees a GPU).
	Device string
	// Threads is the number of CPU threads per process (0: torch's default).
	Threads int
	// Log receives torchrun's own output (nil: kept only for error
	// messages).
	Log io.Writer
	// OnEpoch is called with each epoch's metrics as rank 0 reports them.
	OnEpoch func(Epoch)
}

// Epoch is one epoch's metrics as train.py reports them.
type Epoch struct {
	Epoch        int     `json:"epoch"`
	TrainLoss    float64 `json:"train_loss"`
	TrainAcc     float64 `json:"train_acc"`
	ValLoss      float64 `json:"val_loss"`
	ValAcc       float64 `json:"val_acc"`
	ImagesPerSec float64 `json:"images_per_sec"`
	Seconds      float64 `json:"seconds"`
	WorldSize    int     `json:"world_size"`
}

// Result is what a finished torchrun run reports.
type Result struct {
	Epochs            []Epoch
	TestAcc, TestLoss float64
	ImagesPerSec      float64
	Seconds           float64
	WorldSize         int
	Iterations        int
	Device            string
	// Weights is the trained weights file (under Workbench's names).
	Weights string
}

type doneLine struct {
	Event        string   `json:"event"`
	Epochs       int      `json:"epochs"`
	Seconds      float64  `json:"seconds"`
	ImagesPerSec float64  `json:"train_images_per_sec"`
	WorldSize    int      `json:"world_size"`
	Iterations   int      `json:"iterations"`
	Weights      string   `json:"weights"`
	Device       string   `json:"device"`
	TestAcc      *float64 `json:"test_acc"`
	TestLoss     *float64 `json:"test_loss"`
}

// TorchrunArgs are the interpreter arguments that start train.py under
// torchrun. Debian's torch 1.13 crashes on Python 3.11 unless its output is
// redirected, hence --redirects/--tee/--log_dir.
func TorchrunArgs(o LaunchOptions) []string {
	nproc := max(o.NProc, 1)
	args := []string{"-m", "torch.distributed.run", "--nproc_per_node", strconv.Itoa(nproc),
		"--redirects", "1", "--tee", "1", "--log_dir", filepath.Join(o.Dir, "torchrun-logs")}
	if o.NNodes > 1 {
		args = append(args, "--nnodes", strconv.Itoa(o.NNodes), "--node_rank", strconv.Itoa(o.NodeRank),
			"--rdzv_backend", "c10d", "--rdzv_endpoint", o.Rdzv)
	} else {
		// Not --standalone: Debian's torch 1.13 puts its rendezvous on the
		// fixed port 29400, so two runs at once (two users, or tests in
		// parallel) collide. A free port of our own keeps them apart.
		args = append(args, "--nnodes", "1", "--rdzv_backend", "c10d", "--rdzv_endpoint", "127.0.0.1:"+strconv.Itoa(freePort()),
			"--rdzv_id", fmt.Sprintf("workbench-%d-%d", os.Getpid(), time.Now().UnixNano()))
	}
	dev := o.Device
	if dev == "" {
		dev = "auto"
	}
	args = append(args, filepath.Join(o.Dir, "train.py"), "--device", dev,
		"--metrics", filepath.Join(o.Dir, "metrics.jsonl"), "--out", filepath.Join(o.Dir, "trained.npz"))
	if o.Threads > 0 {
		args = append(args, "--threads", strconv.Itoa(o.Threads))
	}
	return args
}

// freePort returns a TCP port on the loopback interface that was free a
// moment ago (0 lets torchrun's store fail with a clear message if none).
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Launch runs train.py under torchrun, streaming epochs to OnEpoch, and
// returns the result once rank 0 has written the trained weights.
// Cancelling ctx stops every process.
func Launch(ctx context.Context, o LaunchOptions) (*Result, error) {
	if o.NNodes > 1 && o.Rdzv == "" {
		return nil, errors.New("a run over several nodes needs a rendezvous endpoint (host:port), e.g. --rdzv node0:29400")
	}
	py := o.Python
	if py == "" {
		py = os.Getenv("WORKBENCH_PYTHON")
	}
	if py == "" {
		py = "/usr/bin/python3"
	}
	if out, err := exec.CommandContext(ctx, py, "-c", "import torch.distributed.run").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("torchrun needs PyTorch in %s (%s): on Debian `apt-get install python3-torch`, or set WORKBENCH_PYTHON", py, lastLine(string(out), err))
	}
	metrics := filepath.Join(o.Dir, "metrics.jsonl")
	os.Remove(metrics)
	os.Remove(filepath.Join(o.Dir, "trained.npz"))
	var tail bytes.Buffer
	var log io.Writer = &tail
	if o.Log != nil {
		log = io.MultiWriter(&tail, o.Log)
	}
	cmd := exec.Command(py, TorchrunArgs(o)...)
	cmd.Dir = o.Dir
	cmd.Stdout, cmd.Stderr = log, log
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting torchrun: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	res := &Result{}
	var offset int64
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			stopGroup(cmd, false)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				stopGroup(cmd, true)
				<-exited
			}
			return nil, ctx.Err()
		case err := <-exited:
			offset = readMetrics(metrics, offset, res, o.OnEpoch)
			if err != nil {
				why := workerError(filepath.Join(o.Dir, "torchrun-logs"))
				if why == "" {
					why = lastLine(tail.String(), err)
				}
				return nil, fmt.Errorf("torchrun failed (%v): %s", err, why)
			}
			if res.Weights == "" {
				return nil, fmt.Errorf("torchrun finished without rank 0 reporting the trained weights; see %s", filepath.Join(o.Dir, "torchrun-logs"))
			}
			return res, nil
		case <-tick.C:
			offset = readMetrics(metrics, offset, res, o.OnEpoch)
		}
	}
}

// readMetrics reads the complete lines appended to the metrics file since
// offset and returns the new offset.
func readMetrics(path string, offset int64, res *Result, onEpoch func(Epoch)) int64 {
	f, err := os.Open(path)
	if err != nil {
		return offset
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return offset // a partial line waits for the rest
		}
		offset += int64(len(line))
		var probe struct {
			Event string `json:"event"`
		}
		if json.Unmarshal(line, &probe) != nil {
			continue
		}
		switch probe.Event {
		case "epoch":
			e := Epoch{ValLoss: math.NaN(), ValAcc: math.NaN()} // absent without a validation split
			if json.Unmarshal(line, &e) == nil {
				res.Epochs = append(res.Epochs, e)
				if onEpoch != nil {
					onEpoch(e)
				}
			}
		case "done":
			var d doneLine
			if json.Unmarshal(line, &d) == nil {
				res.Seconds, res.ImagesPerSec, res.WorldSize, res.Device = d.Seconds, d.ImagesPerSec, d.WorldSize, d.Device
				res.Iterations = d.Iterations
				res.Weights = d.Weights
				if d.TestAcc != nil {
					res.TestAcc, res.TestLoss = *d.TestAcc, *d.TestLoss
				}
			}
		}
	}
}

// workerError finds why a worker failed: the last line of the first
// worker log that ends in an error (torchrun keeps one stdout.log per rank).
func workerError(logDir string) string {
	var logs []string
	filepath.WalkDir(logDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "stdout.log" {
			logs = append(logs, p)
		}
		return nil
	})
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		text := strings.TrimSpace(string(b))
		if strings.Contains(text, "Traceback") || strings.Contains(text, "train.py:") {
			rank := filepath.Base(filepath.Dir(p))
			return "rank " + rank + ": " + lastLine(text, nil)
		}
	}
	return ""
}

func lastLine(s string, err error) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	if err == nil {
		return ""
	}
	return err.Error()
}
