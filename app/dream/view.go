package dream

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/widgets"
)

// resultView is the made image as it iterates: the preview, a scrubber
// over the kept iterates, and the loss curve.
type resultView struct {
	p      *dreamPane
	pic    *canvas.Image
	scrub  *widget.Slider
	at     *widget.Label
	plot   *widgets.PlotView
	export *widget.Button
	hint   fyne.CanvasObject // shown until there is an iterate
	root   fyne.CanvasObject
	// top shows the preview with its scrubber, or fast style's gallery.
	top     *fyne.Container
	preview fyne.CanvasObject

	frames  []frame
	losses  plotter.XYs
	rising  bool // DeepDream's energy, plotted on a linear axis
	running bool
}

func newResultView(p *dreamPane) *resultView {
	v := &resultView{p: p, at: widget.NewLabel("")}
	v.pic = canvas.NewImageFromImage(nil)
	v.pic.FillMode = canvas.ImageFillContain
	v.pic.ScaleMode = canvas.ImageScaleSmooth
	v.pic.SetMinSize(fyne.NewSquareSize(280))
	v.scrub = widget.NewSlider(0, 0)
	v.scrub.OnChanged = func(f float64) { v.showFrame(int(f)) }
	v.export = widget.NewButtonWithIcon("Export PNG…", theme.DocumentSaveIcon(), v.exportDialog)
	v.export.Disable()
	v.plot = widgets.NewPlotView(lossPlot(nil, false))
	scrubRow := container.NewBorder(nil, nil, widget.NewLabel("Iteration"), container.New(&widgets.MinWidth{W: 150}, v.at), v.scrub)
	v.hint = widgets.Hint("Choose an image, then Run: the image shows here as it iterates.")
	v.preview = container.NewBorder(nil, scrubRow, nil, nil, container.NewStack(v.hint, v.pic))
	v.top = container.NewStack(v.preview)
	split := container.NewVSplit(v.top, widgets.PlotCard(v.plot))
	split.SetOffset(0.7)
	v.root = split
	return v
}

// setTop shows o above the loss curve instead of the preview (nil: the
// preview).
func (v *resultView) setTop(o fyne.CanvasObject) {
	if o == nil {
		o = v.preview
	}
	v.top.Objects = []fyne.CanvasObject{o}
	v.top.Refresh()
}

// begin forgets the last run's iterates.
func (v *resultView) begin(rising bool) {
	v.clear()
	v.rising, v.running = rising, true
}

func (v *resultView) end() { v.running = false }

// setMode titles the empty loss plot for the mode (DeepDream's rising
// energy or a loss); a result already shown stays.
func (v *resultView) setMode(rising bool) {
	if len(v.frames) == 0 {
		v.rising = rising
		v.plot.SetPlot(lossPlot(nil, rising))
	}
}

func (v *resultView) clear() {
	v.frames, v.losses = nil, nil
	v.scrub.Max, v.scrub.Value = 0, 0
	v.scrub.Refresh()
	v.at.SetText("")
	v.pic.Image = nil
	v.pic.Refresh()
	v.hint.Show()
	v.export.Disable()
	v.plot.SetPlot(lossPlot(nil, v.rising))
}

// add keeps a batch of iterates and losses; the preview follows the
// newest unless the scrubber was moved back.
func (v *resultView) add(fs []frame, ls []lossPoint) {
	follow := len(v.frames) == 0 || int(v.scrub.Value) == len(v.frames)-1
	v.frames = append(v.frames, fs...)
	for _, l := range ls {
		v.losses = append(v.losses, plotter.XY{X: float64(l.step), Y: l.loss})
	}
	if len(fs) > 0 {
		v.scrub.Max = float64(len(v.frames) - 1)
		if follow {
			v.scrub.SetValue(v.scrub.Max)
		}
		v.showFrame(int(v.scrub.Value))
		v.export.Enable()
	}
	if len(ls) > 0 {
		v.plot.SetPlot(lossPlot(v.losses, v.rising))
	}
}

func (v *resultView) showFrame(i int) {
	if i < 0 || i >= len(v.frames) {
		return
	}
	f := v.frames[i]
	b := f.img.Bounds()
	v.at.SetText(fmt.Sprintf("step %d · %d of %d · %d px", f.step, i+1, len(v.frames), b.Dx()))
	v.pic.Image = f.img
	v.pic.Refresh()
	v.hint.Hide()
	v.scrub.Refresh()
}

// shown is the iterate the scrubber points at.
func (v *resultView) shown() (frame, bool) {
	i := int(v.scrub.Value)
	if i < 0 || i >= len(v.frames) {
		return frame{}, false
	}
	return v.frames[i], true
}

// exported is what Export PNG writes: the shown iterate, or in fast style
// the gallery side by side; and how the message names it.
func (v *resultView) exported() (image.Image, string, bool) {
	if v.p.mode.Selected == modeFast {
		if g := v.p.fast.shown; len(g) > 0 {
			return attrib.Strip(0, 4, g...), "The gallery", true
		}
		return nil, "", false
	}
	f, ok := v.shown()
	return f.img, fmt.Sprintf("Step %d", f.step), ok
}

// updateExport enables Export PNG when there is something to write.
func (v *resultView) updateExport() {
	if _, _, ok := v.exported(); ok {
		v.export.Enable()
	} else {
		v.export.Disable()
	}
}

func (v *resultView) exportDialog() {
	img, what, ok := v.exported()
	if !ok {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		if err := writePNG(path, img); err != nil {
			v.p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
			return
		}
		v.p.info.SetText(fmt.Sprintf("%s written to %s.", what, path))
	}, v.p.S.Window)
	d.SetFileName("dream.png")
	d.Show()
}

// writePNG writes img to path atomically: a temporary file in the same
// folder, synced, then renamed over path.
func writePNG(path string, img image.Image) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = png.Encode(tmp, img); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// lossPlot is the loss (DeepDream: the energy) against the step, on a
// log axis for the losses that fall over orders of magnitude.
func lossPlot(pts plotter.XYs, rising bool) *plot.Plot {
	pl := widgets.NewPlot()
	pl.X.Label.Text = "step"
	pl.X.Tick.Marker = wholeTicks{}
	pl.Legend.Top = true
	if rising {
		pl.Title.Text = "Layer energy ½·mean(a²)"
	} else {
		pl.Title.Text = "Loss"
	}
	if len(pts) == 0 {
		return pl
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = min(lo, p.Y), max(hi, p.Y)
	}
	if l, err := plotter.NewLine(pts); err == nil {
		l.Color = theme.Color(theme.ColorNamePrimary)
		pl.Add(l)
	}
	// A log axis needs a positive range of some width: gonum widens an
	// empty range by ±1, which would cross zero.
	if !rising && lo > 0 && !math.IsInf(hi, 0) {
		if hi <= lo {
			lo, hi = lo/2, hi*2
		}
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		pl.Y.Min, pl.Y.Max = lo, hi
	}
	return pl
}

// wholeTicks are gonum's default ticks labelled as whole numbers (steps).
type wholeTicks struct{}

func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ts {
		if t.Label != "" {
			ts[i].Label = strconv.FormatFloat(math.Round(t.Value), 'f', 0, 64)
		}
	}
	return ts
}

// noticeView says why the network will make poor images.
type noticeView struct {
	text *widget.Label
	root *fyne.Container
	ws   []style.Weakness
}

func newNoticeView() *noticeView {
	n := &noticeView{text: widget.NewLabel("")}
	n.text.Wrapping = fyne.TextWrapWord
	n.text.Importance = widget.WarningImportance
	icon := widget.NewIcon(theme.WarningIcon())
	n.root = container.NewStack(widgets.NewPanelBackground(), widgets.Pad(4, 4, 6, 6,
		container.NewBorder(nil, nil, container.NewVBox(icon), nil, n.text)))
	n.root.Hide()
	return n
}

func (n *noticeView) show(ws []style.Weakness) {
	n.ws = ws
	if len(ws) == 0 {
		n.root.Hide()
		return
	}
	t := "This network is too weak for good results:"
	for _, w := range ws {
		t += "\n• " + w.Text
	}
	n.text.SetText(t)
	n.root.Show()
}
