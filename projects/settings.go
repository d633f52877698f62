package projects

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// TrainSettings are the training settings Hyper has no field for. Both
// front ends (the train command and the Train pane) read and write them,
// so that a run configured in one continues in the other. The zero value
// of every field reads as its default (see the field comments).
type TrainSettings struct {
	// Init is the weight initialisation: "default" (PyTorch's), "he",
	// "xavier" or "gaussian:<std>"; "" reads as "default".
	Init string `json:"init,omitempty"`
	// Loss is "softmax" (cross-entropy) or "svm" (multiclass hinge); ""
	// reads as "softmax".
	Loss           string  `json:"loss,omitempty"`
	LabelSmoothing float64 `json:"label_smoothing,omitempty"`
	// ClipNorm clips the gradients' global L2 norm (0: off).
	ClipNorm float64 `json:"clip_norm,omitempty"`
	// Gamma is the step schedule's factor per step; 0 reads as 0.1.
	Gamma float64 `json:"gamma,omitempty"`
	// StepEvery is the step schedule's period in epochs (0: a third of the
	// run).
	StepEvery int `json:"step_every,omitempty"`
	// MinLR is the cosine schedule's final rate.
	MinLR float64 `json:"min_lr,omitempty"`
	// Patience stops a run after this many epochs without a better
	// validation accuracy (0: never).
	Patience int `json:"patience,omitempty"`
	// Freeze lists layer IDs whose weights stay fixed.
	Freeze []string `json:"freeze,omitempty"`
	// Device is the device the Train pane asks for: "auto", "cpu" or "gl";
	// "" reads as "auto". The command takes --device instead.
	Device string `json:"device,omitempty"`
	// Validation is "holdout" (a tenth of the training images validate
	// when the dataset has no validation split) or "none"; "" reads as
	// "holdout". The command validates on --val instead.
	Validation string `json:"validation,omitempty"`
}

// Validation choices of TrainSettings.
const (
	ValidationHoldOut = "holdout"
	ValidationNone    = "none"
)

// DefaultGamma is the step schedule's factor when TrainSettings.Gamma is 0.
const DefaultGamma = 0.1

// trainSettingsJSON has the same fields; it keeps MarshalJSON from
// calling itself.
type trainSettingsJSON TrainSettings

// MarshalJSON refuses values JSON cannot hold (NaN, ±Inf), naming the
// field, so that a bad setting is never written half.
func (s TrainSettings) MarshalJSON() ([]byte, error) {
	for _, f := range []struct {
		name string
		v    float64
	}{{"label_smoothing", s.LabelSmoothing}, {"clip_norm", s.ClipNorm}, {"gamma", s.Gamma}, {"min_lr", s.MinLR}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return nil, fmt.Errorf("train.%s is %v; it must be a finite number", f.name, f.v)
		}
	}
	return json.Marshal(trainSettingsJSON(s))
}

func (s TrainSettings) clone() TrainSettings {
	s.Freeze = slices.Clone(s.Freeze)
	return s
}
