package trainui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// scaleOut is how the Scale out action runs: PyTorch DDP under torchrun on
// this machine, as `workbench train --backend torchrun` does.
type scaleOut struct {
	// NProc is the number of processes (CPU processes with gloo, or one
	// per GPU with NCCL).
	NProc int
	// Device is auto (CUDA when PyTorch sees a GPU), cpu or cuda.
	Device string
	// Threads is the CPU threads per process (0: PyTorch's default).
	Threads int
}

func (s scaleOut) label() string { return "torchrun, " + processes(s.NProc) }

// processes writes a number of processes: "1 process", "2 processes".
func processes(n int) string {
	if n = max(n, 1); n == 1 {
		return "1 process"
	}
	return strconv.Itoa(n) + " processes"
}

// newScaleOutButton is the Train pane's Scale out action.
func (p *trainPane) newScaleOutButton() *widget.Button {
	b := widget.NewButtonWithIcon("Scale out…", theme.ComputerIcon(), p.askScaleOut)
	p.scaleOutBtn = b
	return b
}

// refreshScaleOut enables Scale out exactly when Start is.
func (p *trainPane) refreshScaleOut() {
	if p.scaleOutBtn == nil {
		return
	}
	if p.start.Disabled() {
		p.scaleOutBtn.Disable()
	} else {
		p.scaleOutBtn.Enable()
	}
}

// askScaleOut asks how many processes and which device, then starts.
func (p *trainPane) askScaleOut() {
	w := p.h.Window()
	if w == nil {
		return
	}
	so := p.scaleOut
	nproc := widget.NewEntry()
	nproc.SetText(strconv.Itoa(max(so.NProc, 2)))
	device := widget.NewSelect([]string{"auto", "cpu", "cuda"}, nil)
	device.SetSelected(max1(so.Device, "auto"))
	threads := widget.NewEntry()
	threads.SetText(strconv.Itoa(so.Threads))
	note := widgets.WrapLabel("Trains this run with PyTorch DistributedDataParallel under torchrun: the same network, " +
		"data, optimizer, schedule and augmentation, exported to model.py and train.py. Epochs stream into the curves; " +
		"the trained weights come back as the run's. Needs PyTorch (Debian: python3-torch).")
	form := widget.NewForm(widget.NewFormItem("Processes", nproc), widget.NewFormItem("Device", device),
		widget.NewFormItem("Threads per process", threads))
	d := dialog.NewCustomConfirm("Scale out with torchrun", "Start", "Cancel",
		container.New(&widgets.MinWidth{W: 460}, container.NewVBox(note, form)), func(ok bool) {
			if !ok {
				return
			}
			n, err1 := strconv.Atoi(strings.TrimSpace(nproc.Text))
			th, err2 := strconv.Atoi(strings.TrimSpace(threads.Text))
			if err1 != nil || n < 1 || n > 1024 || err2 != nil || th < 0 {
				dialog.ShowInformation("Scale out", "Give 1 to 1024 processes and 0 or more threads per process (0: PyTorch's default).", w)
				return
			}
			p.scaleOut = scaleOut{NProc: n, Device: device.Selected, Threads: th}
			p.startTorchrun(p.scaleOut)
		}, w)
	d.Show()
}

func max1(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// startTorchrun starts a run with the settings shown, trained under
// torchrun, recording it in the project's history as a local run is.
func (p *trainPane) startTorchrun(so scaleOut) error {
	if p.blocker() != nil || p.job.Running() {
		p.refreshControls()
		return errors.New("a run cannot start now")
	}
	rs := p.form.rs
	proj := p.h.Project()
	rec := runs.Begin(proj, "", rs.Hyper, time.Now().UTC().Round(time.Second))
	lr := &liveRun{proj: proj, id: rec.ID, rec: rec, feed: newLiveFeed(), planned: rs.Hyper.Epochs, torchrun: so.label()}
	err := p.runTorchrun(lr, rs, so)
	if err != nil {
		proj.DeleteRun(rec.ID)
	}
	return err
}

// runTorchrun trains lr's run under torchrun on a goroutine: the epochs
// reach the curves through the feed as a local run's do, the trained
// weights become the run's (runs.Torchrun, as the train command does), and
// they are evaluated here on the test split.
func (p *trainPane) runTorchrun(lr *liveRun, rs runSettings, so scaleOut) error {
	proj, ds := lr.proj, p.h.Dataset()
	g := cloneGraph(proj.Graph)
	p.live = lr
	p.lastLive = feedSnapshot{}
	p.notice.Hide()
	var (
		res *train.Result
		ev  *train.EvalResult
	)
	epochs := rs.Hyper.Epochs
	err := p.job.Start("Exporting the run to PyTorch…", func(ctx context.Context, progress widgets.Report) error {
		pr, err := prepareRun(g, ds, rs)
		if err != nil {
			return err
		}
		widgets.DoAndWait(func() {
			lr.launched, lr.device, lr.heldOut = true, so.label(), pr.HeldOut
			if r := lr.run(); r != nil {
				r.Device = so.label()
				runs.StoreStats(proj, pr.Stats)
			}
			if p.live == lr {
				p.showNotice(lr)
			}
		})
		feed := lr.feed
		stop := startThrottle(feed.pending, func() { p.showLive(lr) })
		defer stop()
		tr, err := runs.Torchrun(ctx, pr, g, runs.TorchrunOptions{
			Header: fmt.Sprintf("%s trained on %s by torchrun", proj.Name, p.h.DatasetSpec()),
			Launch: pytorch.LaunchOptions{NProc: so.NProc, Device: so.Device, Threads: so.Threads},
			Exported: func(string) {
				progress(0, epochs, fmt.Sprintf("Training under torchrun with %s…", processes(so.NProc)))
			},
			OnEpoch: func(m train.EpochMetrics, e pytorch.Epoch) {
				feed.epoch(m)
				feed.mu.Lock()
				feed.it.Epoch = min(e.Epoch+1, epochs) // the epoch now training
				feed.mu.Unlock()
				// Recorded as it comes, as the train command does: a
				// stopped run keeps the epochs it finished.
				widgets.DoAndWait(func() {
					if r := lr.run(); r != nil {
						r.Epochs = append(r.Epochs, runs.ProjectEpochs([]train.EpochMetrics{m})...)
					}
				})
				progress(e.Epoch, epochs, fmt.Sprintf("Epoch %d/%d under torchrun (%s) · train loss %.3f · %s images/s",
					e.Epoch, epochs, processes(e.WorldSize), e.TrainLoss, widgets.Thousands(int(e.ImagesPerSec))))
			},
		})
		if err != nil {
			return err
		}
		res = tr.Result()
		widgets.DoAndWait(func() {
			lr.torch = tr.Torch
			lr.rec.Torchrun(tr, rs.Hyper.Seed)
		})
		if pr.Test.Len() == 0 {
			return nil
		}
		progress(1, 1, "Evaluating the trained weights on the test split…")
		ev, err = train.Evaluate(ctx, pr.Model, pr.Test, train.EvalOptions{Stats: pr.Stats, Loss: pr.Config.Loss, Misclassified: 64, TopK: 3})
		return err
	}, func(err error) {
		p.finishRun(lr, res, ev, err)
	})
	return p.started(lr, err)
}
