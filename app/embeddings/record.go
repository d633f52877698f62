package embeddings

import (
	"math"
	"strconv"

	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/projects"
)

// The Embeddings pane records each finished map (coordinates, not only
// pictures) in the project (projects.Results.Maps), one per method, layer
// and split, and shows the newest again when the project is reopened with
// its dataset and model: the images behind the points are the same seeded
// subset of the split.

// record stores a finished embedding in the project.
func (p *embeddingsPane) record(r *embedResult) {
	pr := p.S.Project
	if pr == nil || p.Sync || r.cancelled {
		return // render-panes' runs and cancelled layouts are not kept
	}
	cfg := r.settings
	m := projects.EmbeddingMap{Method: cfg.method, Layer: cfg.layer, Split: cfg.split, KL: finite(r.kl),
		Settings: map[string]float64{"points": float64(cfg.points), "seed": float64(cfg.seed),
			"perplexity": cfg.tsne.Perplexity, "iterations": float64(r.iterations), "exaggeration": cfg.tsne.EarlyExaggeration,
			"lr": cfg.tsne.LearningRate, "knn_2d": r.knn2D, "knn_features": r.knnFeatures, "explained": finite(r.explained),
			"dims": float64(r.dims), "seconds": r.seconds}}
	n := len(r.layout) / 2
	m.X, m.Y, m.Index, m.Labels = make([]float32, n), make([]float32, n), make([]int, n), make([]int, n)
	for i := range n {
		m.X[i], m.Y[i] = float32(r.layout[2*i]), float32(r.layout[2*i+1])
		m.Index[i], m.Labels[i] = i, int(r.set.Labels[i])
	}
	maps := pr.Results.Maps[:0:0]
	for _, old := range pr.Results.Maps {
		if old.Method != m.Method || old.Layer != m.Layer || old.Split != m.Split {
			maps = append(maps, old)
		}
	}
	pr.Results.Maps = append(maps, m)
	p.S.MarkDirty()
}

// restore shows the newest recorded map whose layer the model has, when
// its images can be found again in the loaded dataset.
func (p *embeddingsPane) restore() {
	pr := p.S.Project
	if pr == nil || p.res != nil || p.job.Running() || p.S.Dataset == nil {
		return
	}
	for i := len(pr.Results.Maps) - 1; i >= 0; i-- {
		m := pr.Results.Maps[i]
		li := -1
		for j, l := range p.layers {
			if l.ID == m.Layer {
				li = j
			}
		}
		if li < 0 {
			continue
		}
		s := m.Settings
		cfg := embedSettings{layer: m.Layer, split: m.Split, method: m.Method, points: int(s["points"]), seed: int64(s["seed"])}
		cfg.tsne.Perplexity, cfg.tsne.EarlyExaggeration, cfg.tsne.LearningRate = s["perplexity"], s["exaggeration"], s["lr"]
		set := embedImages(p.S.Dataset, cfg)
		if set.Len() != len(m.X) || !sameLabels(set.Labels, m.Labels) {
			continue // another dataset, or a different cut of it
		}
		r := &embedResult{settings: cfg, set: set, layout: make([]float64, 2*len(m.X)), dims: int(s["dims"]),
			knn2D: s["knn_2d"], knnFeatures: s["knn_features"], kl: m.KL, explained: s["explained"],
			iterations: int(s["iterations"]), seconds: s["seconds"]}
		if m.Method != embedPCA && m.KL == 0 {
			r.kl = math.NaN()
		}
		for k := range m.X {
			r.layout[2*k], r.layout[2*k+1] = float64(m.X[k]), float64(m.Y[k])
		}
		msg := "The map recorded in the project (" + ui.DatasetTitle(ui.DatasetSpec(p.S)) + ")."
		if err := r.drawGrid(); err != nil {
			r.grid = nil
			msg = "The map recorded in the project (" + ui.DatasetTitle(ui.DatasetSpec(p.S)) + "); its image grid could not be drawn: " + err.Error()
		}
		p.layer.SetSelectedIndex(li)
		p.showSettings(m)
		p.showResult(r)
		p.msg.Importance = widget.MediumImportance
		p.msg.SetText(msg)
		p.msg.Show()
		return
	}
}

// showSettings puts a recorded map's settings back into the fields, so
// that Embed runs it again as it was.
func (p *embeddingsPane) showSettings(m projects.EmbeddingMap) {
	s := m.Settings
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if m.Split == "train" {
		p.split.SetSelected("Training")
	} else {
		p.split.SetSelected("Test")
	}
	p.method.SetSelected(m.Method)
	p.points.SetText(num(s["points"]))
	p.seed.SetText(num(s["seed"]))
	if m.Method == embedPCA {
		return
	}
	p.perplexity.SetText(num(s["perplexity"]))
	p.iters.SetText(num(s["iterations"]))
	p.exag.SetText(num(s["exaggeration"]))
	if lr := s["lr"]; lr > 0 {
		p.lr.SetText(num(lr))
	} else {
		p.lr.SetText("auto")
	}
}

func sameLabels(a []int32, b []int) bool {
	for i := range a {
		if int(a[i]) != b[i] {
			return false
		}
	}
	return true
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
