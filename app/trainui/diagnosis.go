package trainui

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// layerEvidence is what a run's layer statistics add to its diagnosis:
// the newest statistics and each weighted layer's typical update ratio.
type layerEvidence struct {
	layers []train.LayerStats
	ratios map[string]float64
}

// evidenceOf sums up a feed's layer statistics.
func evidenceOf(s feedSnapshot) layerEvidence {
	ev := layerEvidence{layers: s.layers}
	if len(s.ratios) > 0 {
		ev.ratios = map[string]float64{}
		for _, r := range s.ratios {
			ys := make([]float64, len(r.pts))
			for i, pt := range r.pts {
				ys[i] = pt.Y
			}
			ev.ratios[r.node] = quantile(ys, 0.5)
		}
	}
	return ev
}

// diagnose is the one diagnosis of a run that the Curves, Layers, History
// and Babysitting views all show: its epochs, the layer statistics seen
// while it trained (live, or kept for it), and its optimizer and rate.
func (p *trainPane) diagnose(r *projects.Run, epochs []train.EpochMetrics) train.Diagnosis {
	ev := train.Evidence{Epochs: epochs}
	if r != nil {
		ev.Optimizer, ev.LR = r.Hyper.Optimizer, r.Hyper.LR
		ev.Adversarial = r.Adversarial != nil
		for _, l := range r.Losses { // whether the loss falls
			ev.Losses = append(ev.Losses, float64(l))
		}
		if epochs == nil {
			ev.Epochs = runs.EngineEpochs(r.Epochs)
		}
		le, ok := p.runLayers[r.ID]
		if lr := p.live; lr != nil && lr.id == r.ID && len(lr.last.layers) > 0 {
			le, ok = evidenceOf(lr.last), true
		}
		if !ok {
			le = storedEvidence(r)
		}
		ev.Layers, ev.Ratios = le.layers, le.ratios
	}
	return train.DiagnoseRun(ev)
}

// keepLayers remembers a run's layer statistics for its diagnosis, and
// records them in the project so that they survive a reopen.
func (p *trainPane) keepLayers(r *projects.Run, s feedSnapshot) {
	if r == nil || len(s.layers) == 0 {
		return
	}
	if p.runLayers == nil {
		p.runLayers = map[string]layerEvidence{}
	}
	ev := evidenceOf(s)
	p.runLayers[r.ID] = ev
	recordLayers(r, ev, s.layerIter)
}

// diagnosisCard is a diagnosis with its reasons.
func diagnosisCard(d train.Diagnosis) fyne.CanvasObject {
	rows := []fyne.CanvasObject{diagnosisRow(d)}
	for _, r := range d.Reasons {
		l := widget.NewLabel("• " + widgets.FirstUpper(r) + ".")
		l.Wrapping = fyne.TextWrapWord
		l.SizeName = theme.SizeNameCaptionText
		rows = append(rows, l)
	}
	return container.NewVBox(rows...)
}

// recordLayers stores a run's layer evidence in its record.
func recordLayers(r *projects.Run, ev layerEvidence, iter int) {
	r.Layers = r.Layers[:0]
	for _, l := range ev.layers {
		s := projects.LayerStat{Node: l.Node, Op: l.Op, Mean: l.Mean, Std: l.Std, Zero: l.Zero, Saturated: l.Saturated,
			Dead: l.Dead, GradStd: l.GradStd, HasWeight: l.HasWeight, UpdateRatio: l.UpdateRatio}
		if q, ok := ev.ratios[l.Node]; ok {
			s.UpdateRatio = q
		}
		for _, v := range []float64{s.Mean, s.Std, s.GradStd, s.UpdateRatio} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				s = projects.LayerStat{Node: l.Node, Op: l.Op, HasWeight: l.HasWeight, NonFinite: true}
				break
			}
		}
		r.Layers = append(r.Layers, s)
	}
	r.LayersAt = iter
}

// storedEvidence reads the layer evidence kept in a run's record.
func storedEvidence(r *projects.Run) layerEvidence {
	var ev layerEvidence
	for _, s := range r.Layers {
		l := train.LayerStats{Node: s.Node, Op: s.Op, Mean: s.Mean, Std: s.Std, Zero: s.Zero, Saturated: s.Saturated,
			Dead: s.Dead, GradStd: s.GradStd, HasWeight: s.HasWeight, UpdateRatio: s.UpdateRatio}
		if s.NonFinite {
			l.Std = math.NaN()
		}
		ev.layers = append(ev.layers, l)
		if s.HasWeight {
			if ev.ratios == nil {
				ev.ratios = map[string]float64{}
			}
			ev.ratios[s.Node] = s.UpdateRatio
		}
	}
	return ev
}
