package runs

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
)

// Options are how Prepare differs between front ends.
type Options struct {
	// Device is the backend asked for: "auto", "cpu", "gl" ("" reads as
	// Settings.Train.Device).
	Device string
	// HoldOut holds a tenth of the training images (at most 5,000, chosen
	// under the seed) out to validate when the dataset has no validation
	// split. The Train pane does unless its Validation setting is "none";
	// the command validates on --val instead.
	HoldOut bool
}

// Prepared is a run ready to train: the model on its backend, the splits,
// the preprocessing statistics fitted on the training split and the
// engine's configuration.
type Prepared struct {
	Model   *nn.Model
	Backend backend.Backend
	// Notice says why the backend is not the one asked for ("" when it is).
	Notice           string
	Train, Val, Test *data.Set
	// HeldOut is the number of validation images held out of the training
	// split (0 when the dataset has its own validation split).
	HeldOut  int
	Stats    *data.Stats
	Config   train.Config
	Settings Settings
}

// Prepare builds the network g for the dataset ds with the settings s: the
// weights initialised from the seed, the statistics fitted on the
// training split. Its errors are *SettingError when a setting is at fault.
func Prepare(g graph.Graph, ds *data.Dataset, s Settings, opt Options) (*Prepared, error) {
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	t := Defaults(s.Train)
	device := opt.Device
	if device == "" {
		device = t.Device
	}
	b, notice, err := backend.Choose(device)
	if err != nil {
		return nil, &SettingError{Setting: "device " + device, Err: err}
	}
	pr := &Prepared{Backend: b, Notice: notice, Train: ds.Train, Val: ds.Val, Test: ds.Test, Settings: s}
	if pr.Train == nil || pr.Train.Len() == 0 {
		return nil, fmt.Errorf("the dataset has no training images")
	}
	pr.Train, pr.Val, pr.HeldOut = Splits(ds, s.Hyper.Seed, opt.HoldOut)
	in := []int{ds.Train.C, ds.Train.H, ds.Train.W}
	if pr.Model, err = nn.Build(g, in, b, uint64(s.Hyper.Seed), nn.Init(t.Init)); err != nil {
		return nil, &SettingError{Setting: "model", Err: fmt.Errorf("the network does not fit %dx%dx%d images: %w", in[0], in[1], in[2], err)}
	}
	if s.Preprocess != data.NormNone && s.Preprocess != "" {
		if pr.Stats, err = data.FitStats(pr.Train, s.Preprocess, data.StatsOptions{Seed: s.Hyper.Seed}); err != nil {
			return nil, &SettingError{Setting: "preprocess " + string(s.Preprocess), Err: err}
		}
	}
	cfg.Stats = pr.Stats
	pr.Config = cfg
	return pr, nil
}

// Trainer is a trainer for the prepared run.
func (pr *Prepared) Trainer() (*train.Trainer, error) {
	return train.New(pr.Model, pr.Train, pr.Val, pr.Config)
}

// Splits returns the training and validation splits of ds; when it has
// no validation split and holdOut is set, a tenth of the training images
// (at most 5,000), chosen under seed, are held out to validate (heldOut
// says how many).
func Splits(ds *data.Dataset, seed int64, holdOut bool) (train, val *data.Set, heldOut int) {
	if holdOut && ds.Val.Len() == 0 && ds.Train.Len() >= 20 {
		n := min(max(ds.Train.Len()/10, 1), 5000)
		train, val = data.HoldOut(ds.Train, n, seed)
		return train, val, n
	}
	return ds.Train, ds.Val, 0
}
