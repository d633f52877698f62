package saliency

import (
	"context"
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/inspect"
	"github.com/workbench-cv/workbench/widgets"
)

// picture is an image cell that keeps its aspect and a useful size.
type picture struct{ raster *canvas.Image }

func newPicture() *picture {
	r := canvas.NewImageFromImage(nil)
	r.FillMode = canvas.ImageFillContain
	r.ScaleMode = canvas.ImageScalePixels
	r.SetMinSize(fyne.NewSquareSize(180))
	return &picture{raster: r}
}

func (c *picture) set(img image.Image) {
	c.raster.Image = img
	c.raster.Refresh()
}

// attribNet is the attribution view of an inspection network.
func attribNet(n inspect.Net) attrib.Net { return attrib.Net{Model: n.Model, Stats: n.Stats} }

// method computes one attribution map of x (one image) for class k.
type method struct {
	title string
	run   func(ctx context.Context, n attrib.Net, x []float32, k int, layer string, progress attrib.Progress) (attrib.Map, string, error)
}

func first(ms []attrib.Map, err error) (attrib.Map, string, error) {
	if err != nil {
		return attrib.Map{}, "", err
	}
	return ms[0], "", nil
}

// methods are the grid's columns, in order.
func methods() []method {
	tk := func(k int) []attrib.Target { return []attrib.Target{attrib.ClassTarget(k)} }
	return []method{
		{"Saliency", func(_ context.Context, n attrib.Net, x []float32, k int, _ string, _ attrib.Progress) (attrib.Map, string, error) {
			ms, _, err := n.Saliency(x, 1, tk(k))
			return first(ms, err)
		}},
		{"Guided backprop", func(_ context.Context, n attrib.Net, x []float32, k int, _ string, _ attrib.Progress) (attrib.Map, string, error) {
			ms, _, err := n.Guided(x, 1, tk(k))
			return first(ms, err)
		}},
		{"Grad-CAM", func(_ context.Context, n attrib.Net, x []float32, k int, layer string, _ attrib.Progress) (attrib.Map, string, error) {
			if layer == "" {
				return attrib.Map{}, "", fmt.Errorf("the network has no layer with spatial maps")
			}
			cams, err := n.GradCAM(x, 1, tk(k), layer)
			if err != nil {
				return attrib.Map{}, "", err
			}
			return cams[0].Image, " · " + layer, nil
		}},
		{"SmoothGrad", func(ctx context.Context, n attrib.Net, x []float32, k int, _ string, pr attrib.Progress) (attrib.Map, string, error) {
			ms, _, err := n.SmoothGrad(ctx, x, 1, tk(k), attrib.SmoothOptions{Samples: 25, Sigma: 0.15, Seed: 1, Progress: pr})
			return first(ms, err)
		}},
		{"Integrated gradients", func(ctx context.Context, n attrib.Net, x []float32, k int, _ string, pr attrib.Progress) (attrib.Map, string, error) {
			_, ms, delta, err := n.IntegratedGradients(ctx, x, 1, tk(k), attrib.IGOptions{Steps: 50, Progress: pr})
			if err != nil {
				return attrib.Map{}, "", err
			}
			return ms[0], fmt.Sprintf(" · δ %.2g", delta[0]), nil
		}},
		{"Occlusion", func(ctx context.Context, n attrib.Net, x []float32, k int, _ string, pr attrib.Progress) (attrib.Map, string, error) {
			return first(n.Occlusion(ctx, x, 1, []int{k}, attrib.OcclusionOptions{Progress: pr}))
		}},
	}
}

// explain computes every method's map of the image on a job, filling the
// grid as each finishes.
func (p *salPane) explain() {
	if p.x == nil || p.Model == nil {
		p.info.SetText("Choose an image first: a test image number or an image file.")
		return
	}
	x, k, layer, mdl, other := p.x, p.target(), p.layer.Selected, p.Model, p.cmp.model
	for _, c := range append(p.cells, p.cmp.cells...) {
		c.m = nil
	}
	p.drawGrid()
	// Each model's maps fill its own row of cells.
	type row struct {
		mdl   *inspection.Model
		cells []*cell
	}
	rows := []row{{mdl, p.cells}}
	if other != nil {
		rows = append(rows, row{other, p.cmp.cells})
	}
	total := len(p.methods) * len(rows)
	do := uiDo(p.job.Sync)
	err := p.job.Start("Explaining "+p.ClassName(k), func(ctx context.Context, report widgets.Report) error {
		for r, rw := range rows {
			n, err := rw.mdl.Net()
			if err != nil {
				return err
			}
			net, lyr := attribNet(n), layer
			if info := n.Model.Analysis.Nodes[lyr]; info == nil || len(info.Out) != 3 {
				lyr = lastSpatial(n.Model.Analysis.Order, func(id string) []int { return n.Model.Analysis.Nodes[id].Out })
			}
			for i, m := range p.methods {
				if err := ctx.Err(); err != nil {
					return err
				}
				step := r*len(p.methods) + i
				report(step, total, m.title+" of "+p.ClassName(k))
				mp, note, err := m.run(ctx, net, x, k, lyr, func(done, all int) {
					report(step*all+done, total*all, "")
				})
				if err != nil {
					return fmt.Errorf("%s: %w", m.title, err)
				}
				c := rw.cells[i]
				do(func() {
					if !sameSlice(p.x, x) {
						return
					}
					c.m = &mp
					c.caption.SetText(m.title + note)
					p.drawGrid()
				})
			}
		}
		return nil
	}, func(err error) {
		if err != nil && !widgets.Cancelled(err) {
			p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}

func sameSlice(a, b []float32) bool { return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0]) }

// uiDo is how a job shows its results: on the UI goroutine, or at once
// when the job runs synchronously (render-panes).
func uiDo(sync bool) func(func()) {
	if sync {
		return func(fn func()) { fn() }
	}
	return widgets.Do
}

// lastSpatial is the last of order whose output is a map larger than 1×1
// (Grad-CAM's default layer), "" when there is none.
func lastSpatial(order []string, out func(id string) []int) string {
	for i := len(order) - 1; i >= 0; i-- {
		if o := out(order[i]); len(o) == 3 && o[1]*o[2] > 1 {
			return order[i]
		}
	}
	return ""
}
