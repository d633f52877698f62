package runs

import (
	"reflect"
	"slices"
	"strings"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// Settings are everything a run is configured with. SettingsOf fills the
// defaults in Train, so that its fields read as they apply (Init
// "default", Loss "softmax", Gamma 0.1, Device "auto", Validation
// "holdout"); Store writes them back in the project's canonical form.
type Settings struct {
	Hyper      projects.Hyper
	Train      projects.TrainSettings
	Preprocess data.Norm
}

// Defaults fills the zero fields of t with the values they read as.
func Defaults(t projects.TrainSettings) projects.TrainSettings {
	t.Freeze = slices.Clone(t.Freeze)
	def := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	def(&t.Init, "default")
	def(&t.Loss, train.LossSoftmax)
	def(&t.Device, "auto")
	def(&t.Validation, projects.ValidationHoldOut)
	if t.Gamma == 0 {
		t.Gamma = projects.DefaultGamma
	}
	return t
}

// canonical is t as a project keeps it: defaults as zero values, so that a
// project that never changed a setting stays as it was.
func canonical(t projects.TrainSettings) projects.TrainSettings {
	t.Freeze = slices.Clone(t.Freeze)
	if len(t.Freeze) == 0 {
		t.Freeze = nil
	}
	undef := func(dst *string, v string) {
		if *dst == v {
			*dst = ""
		}
	}
	undef(&t.Init, "default")
	undef(&t.Loss, train.LossSoftmax)
	undef(&t.Device, "auto")
	undef(&t.Validation, projects.ValidationHoldOut)
	if t.Gamma == projects.DefaultGamma {
		t.Gamma = 0
	}
	return t
}

// SettingsOf reads the settings of project p. Its Hyper is the project's,
// as stored (a front end fills its own defaults for an empty one).
func SettingsOf(p *projects.Project) Settings {
	h := p.Hyper
	h.Augment = slices.Clone(h.Augment)
	norm, err := NormOf(p.Preprocess.Mode)
	if err != nil {
		norm = data.NormNone
	}
	return Settings{Hyper: h, Train: Defaults(p.Train), Preprocess: norm}
}

// Store writes s into p and reports whether anything changed. A new
// preprocessing mode drops the statistics fitted for the old one (the
// next run fits new ones).
func (s Settings) Store(p *projects.Project) bool {
	changed := false
	if !hyperEqual(p.Hyper, s.Hyper) {
		p.Hyper = s.Hyper
		p.Hyper.Augment = slices.Clone(s.Hyper.Augment)
		changed = true
	}
	if norm, err := NormOf(p.Preprocess.Mode); err != nil || norm != s.Preprocess {
		p.DeleteGroup(projects.GroupPreprocess)
		p.Preprocess = projects.Preprocess{Mode: ModeOf(s.Preprocess)}
		changed = true
	}
	if t := canonical(s.Train); !reflect.DeepEqual(canonical(p.Train), t) {
		p.Train = t
		changed = true
	}
	return changed
}

func hyperEqual(a, b projects.Hyper) bool {
	return a.Optimizer == b.Optimizer && a.LR == b.LR && a.Momentum == b.Momentum && a.WeightDecay == b.WeightDecay &&
		a.Schedule == b.Schedule && a.Warmup == b.Warmup && a.Batch == b.Batch && a.Epochs == b.Epochs &&
		a.Seed == b.Seed && slices.Equal(a.Augment, b.Augment)
}

// Config is the engine's configuration for s, without the preprocessing
// statistics (they depend on the training split; Prepare fits them).
func (s Settings) Config() (train.Config, error) {
	h, t := s.Hyper, Defaults(s.Train)
	pipe, err := augment.Parse(strings.Join(h.Augment, ","))
	if err != nil {
		return train.Config{}, &SettingError{Setting: "augment", Err: err}
	}
	if pipe.Empty() {
		pipe = nil
	}
	cfg := train.Config{
		Optimizer: h.Optimizer,
		Optim: optim.Config{LR: float32(h.LR), Momentum: float32(h.Momentum), WeightDecay: float32(h.WeightDecay),
			ClipNorm: float32(t.ClipNorm)},
		Schedule: h.Schedule, Warmup: h.Warmup, StepEvery: t.StepEvery, Gamma: float32(t.Gamma), MinLR: float32(t.MinLR),
		Epochs: h.Epochs, Batch: h.Batch, Seed: h.Seed, Loss: t.Loss, LabelSmoothing: float32(t.LabelSmoothing),
		Augment: pipe, Patience: t.Patience, Freeze: t.Freeze,
	}
	return cfg, cfg.Validate()
}

// DefaultLR is the optimizer's default learning rate (0.001 for an
// unknown one).
func DefaultLR(optimizer string) float64 {
	o, err := optim.New(optimizer, optim.Config{})
	if err != nil {
		return 1e-3
	}
	return float64(o.LR())
}

// SettingError is a setting that cannot be used; Setting names it as the
// command's flag does ("device", "preprocess", "augment", "model").
type SettingError struct {
	Setting string
	Err     error
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Err.Error() }
func (e *SettingError) Unwrap() error { return e.Err }
