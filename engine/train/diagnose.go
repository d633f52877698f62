package train

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Diagnosis is one reading of a run: its curves, its layers and its
// optimizer together. Every view of a run (the curves, the layer
// statistics, the learning-rate finder, the CLI) shows the same one.
type Diagnosis struct {
	// Kind is "diverged", "dead-units", "lr-too-high", "lr-too-low",
	// "not-learning", "no-validation", "overfitting", "underfitting",
	// "still-learning", "adversarial" (a run trained on attacked batches,
	// read by its test accuracy) or "healthy".
	Kind    string
	Message string
	// Reasons are the observations behind the verdict, in words.
	Reasons []string
}

// Evidence is what Diagnose reads about a run.
type Evidence struct {
	Epochs []EpochMetrics
	// Layers are the newest layer statistics (nil when none were taken).
	Layers []LayerStats
	// Ratios is each weighted layer's typical update-to-weight ratio over
	// the run (median), by node; when nil the ratios of Layers are used.
	Ratios map[string]float64
	// Optimizer ("adam", "sgd", ...) and LR are the run's settings.
	Optimizer string
	LR        float64
	// Losses are the run's training losses per iteration (or thinned
	// evenly), when known: whether the loss falls.
	Losses []float64
	// Adversarial says the run trained on attacked batches: its training
	// loss and accuracy are measured on them, not on the clean images.
	Adversarial bool
}

// Thresholds of the diagnosis.
const (
	// DeadLimit is the fraction of dead units in a layer above which the
	// run is called broken: those units no longer learn.
	DeadLimit = 0.5
	// RatioHigh and RatioLow bound healthy update-to-weight ratios
	// (about 1e-3 is typical).
	RatioHigh, RatioLow = 3e-2, 1e-5
	// closeGap is the largest train-validation gap called "close".
	closeGap = 0.02
)

// Diagnose reads a run's curves alone (see DiagnoseRun).
func Diagnose(h []EpochMetrics) Diagnosis { return DiagnoseRun(Evidence{Epochs: h}) }

// DiagnoseRun reads a run the way the lectures do, in an order that keeps
// the advice consistent: a loss that exploded, then units that died or
// updates far too large (the learning rate is too high, whatever the
// accuracy says; raising it would make things worse), updates far too
// small, then the curves: not learning, overfitting (training well above
// validation), underfitting (both low and close), or validation above
// training (still learning: an average over an epoch that improved, or
// regularisation that only acts in training).
func DiagnoseRun(ev Evidence) Diagnosis {
	h := ev.Epochs
	lrText := "the learning rate"
	if ev.LR > 0 {
		lrText = fmt.Sprintf("the learning rate (%s", shortRate(ev.LR))
		if ev.Optimizer != "" {
			lrText += " with " + optimName(ev.Optimizer)
		}
		lrText += ")"
	}
	for _, e := range h {
		if math.IsNaN(e.TrainLoss) || math.IsInf(e.TrainLoss, 0) {
			return Diagnosis{Kind: "diverged", Message: "the loss exploded: lower " + lrText + " by 3-10x or check the initialisation",
				Reasons: []string{fmt.Sprintf("training loss %v at epoch %d", e.TrainLoss, e.Epoch)}}
		}
	}
	for _, l := range ev.Layers {
		if math.IsNaN(l.Std) || math.IsInf(l.Std, 0) {
			return Diagnosis{Kind: "diverged", Message: "activations are not finite: lower " + lrText + " by 3-10x or check the initialisation",
				Reasons: []string{l.Node + "'s activations are not finite"}}
		}
	}
	ratios := ev.Ratios
	if ratios == nil {
		ratios = map[string]float64{}
		for _, l := range ev.Layers {
			if l.HasWeight {
				ratios[l.Node] = l.UpdateRatio
			}
		}
	}
	var high, low []string
	worstRatio := 0.0
	for _, node := range sortedKeys(ratios) {
		switch r := ratios[node]; {
		case r > RatioHigh:
			high = append(high, fmt.Sprintf("%s's updates are %s of its weights (about 1e-3 is healthy)", node, shortRate(r)))
			worstRatio = max(worstRatio, r)
		case r > 0 && r < RatioLow:
			low = append(low, fmt.Sprintf("%s's updates are only %s of its weights (about 1e-3 is healthy)", node, shortRate(r)))
		}
	}
	var dead []string
	for _, l := range ev.Layers {
		if l.Dead > DeadLimit {
			dead = append(dead, fmt.Sprintf("%.0f%% of %s's units are dead (zero for every image)", 100*l.Dead, l.Node))
		}
	}
	curves := curveReasons(h)
	if len(dead) > 0 {
		return Diagnosis{Kind: "dead-units", Reasons: append(append(dead, high...), curves...),
			Message: dead[0] + ": " + lrText + " is too high; lower it 3-10x (raising it would kill more), or use he initialisation or leaky ReLUs"}
	}
	learning := lossFalls(ev.Losses) || len(h) >= 2 && h[len(h)-1].TrainLoss < 0.98*h[0].TrainLoss
	if len(high) > 0 && (!adaptive(ev.Optimizer) || !learning) {
		return Diagnosis{Kind: "lr-too-high", Reasons: append(high, curves...),
			Message: high[0] + ": " + lrText + " is too high; lower it 3-10x"}
	}
	d := diagnoseCurves(h, lrText)
	if ev.Adversarial && len(h) > 0 && !math.IsNaN(h[len(h)-1].TrainLoss) {
		// The training curves of adversarial training read attacked
		// batches, harder than clean ones and harder each epoch while
		// epsilon ramps up: a flat loss or validation above training is
		// what it looks like when it works.
		d = Diagnosis{Kind: "adversarial", Message: fmt.Sprintf("adversarial training: the training loss and accuracy (%.3g, %.1f%%) are measured on attacked batches, so they neither fall like a clean run's nor compare with clean validation; judge the model by its clean and attacked test accuracy (workbench attack --project FILE --method pgd --eps 8/255)", h[len(h)-1].TrainLoss, 100*h[len(h)-1].TrainAcc),
			Reasons: []string{"curves of attacked batches: " + d.Message}}
	}
	if len(high) > 0 {
		// Adam and its kin move every weight by about the rate at first, so
		// a layer of small weights (a wide fully connected one) shows a
		// large ratio from the first step; with the loss falling and no
		// unit dead that is no reason to lower the rate.
		if len(h) == 0 {
			d = Diagnosis{Kind: "still-learning", Message: "the loss is falling and every layer is alive; wait for the first epoch to judge the curves"}
		}
		high[len(high)-1] += fmt.Sprintf("; %s moves each weight by about the rate at first, and the loss is falling, so this alone is no reason to lower it", optimName(ev.Optimizer))
		d.Reasons = append(append(high, d.Reasons...), curves...)
		return d
	}
	if len(low) > 0 && (d.Kind == "not-learning" || d.Kind == "underfitting") {
		d = Diagnosis{Kind: "lr-too-low", Message: low[0] + ": " + lrText + " is too low; raise it 3-10x"}
	}
	d.Reasons = append(append(low, d.Reasons...), curves...)
	return d
}

// diagnoseCurves reads the accuracy and loss curves.
func diagnoseCurves(h []EpochMetrics, lrText string) Diagnosis {
	if len(h) == 0 {
		return Diagnosis{Kind: "not-learning", Message: "no finished epoch to read yet"}
	}
	last := h[len(h)-1]
	if len(h) >= 2 && last.TrainLoss > 0.98*h[0].TrainLoss {
		return Diagnosis{Kind: "not-learning", Message: fmt.Sprintf("the training loss hardly moved (%.3g to %.3g): check the data and the model, then try another learning rate (the finder suggests one)", h[0].TrainLoss, last.TrainLoss)}
	}
	if math.IsNaN(last.ValAcc) {
		return Diagnosis{Kind: "no-validation", Message: "no validation split: hold some training images out (--val) to tell overfitting from underfitting"}
	}
	tr, va := 100*last.TrainAcc, 100*last.ValAcc
	gap := last.TrainAcc - last.ValAcc
	switch {
	case gap > 0.1:
		return Diagnosis{Kind: "overfitting", Message: fmt.Sprintf("training accuracy %.1f%% is well above validation %.1f%%: the model overfits; add regularisation (weight decay, dropout, augmentation) or data, or stop earlier (best epoch)", tr, va)}
	case gap < -closeGap:
		return Diagnosis{Kind: "still-learning", Message: fmt.Sprintf("validation accuracy %.1f%% is above training %.1f%%: training accuracy is averaged over an epoch in which the network was still improving (or dropout and augmentation make training harder); train longer before judging", va, tr)}
	case last.TrainAcc < 0.9:
		return Diagnosis{Kind: "underfitting", Message: fmt.Sprintf("training and validation accuracy are close (%.1f%%, %.1f%%) and low: the model underfits; train longer, make the model bigger or lower regularisation", tr, va)}
	}
	return Diagnosis{Kind: "healthy", Message: fmt.Sprintf("training %.1f%%, validation %.1f%%: a small gap; training longer or a slightly bigger model may still help", tr, va)}
}

// adaptive reports whether an optimizer scales each weight's step by its
// own gradient history, so that early steps are about the rate itself.
func adaptive(optimizer string) bool {
	switch strings.ToLower(optimizer) {
	case "adam", "adamw", "rmsprop", "adagrad", "nadam", "lamb":
		return true
	}
	return false
}

// lossFalls reports whether a run's iteration losses fall: the mean of the
// last fifth at least 3% below that of the first fifth (five losses at
// least, all finite).
func lossFalls(l []float64) bool {
	n := len(l)
	if n < 5 {
		return false
	}
	for _, v := range l {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	k := max(1, n/5)
	first, last := 0.0, 0.0
	for i := 0; i < k; i++ {
		first += l[i]
		last += l[n-1-i]
	}
	return last < 0.97*first
}

// curveReasons are the curves' figures, for the reasons list.
func curveReasons(h []EpochMetrics) []string {
	if len(h) == 0 {
		return nil
	}
	last := h[len(h)-1]
	r := fmt.Sprintf("after %d epochs: training loss %.3g, accuracy %.1f%%", len(h), last.TrainLoss, 100*last.TrainAcc)
	if !math.IsNaN(last.ValAcc) {
		r += fmt.Sprintf("; validation %.1f%%", 100*last.ValAcc)
	}
	return []string{r}
}

func shortRate(v float64) string {
	s := fmt.Sprintf("%.2g", v)
	if strings.Contains(s, "e-0") {
		s = strings.Replace(s, "e-0", "e-", 1)
	}
	return s
}

func optimName(o string) string {
	switch o {
	case "adam":
		return "Adam"
	case "adamw":
		return "AdamW"
	case "sgd":
		return "SGD"
	case "rmsprop":
		return "RMSprop"
	}
	return o
}

func sortedKeys(m map[string]float64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
