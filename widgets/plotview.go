package widgets

import (
	"fmt"
	"image"
	"image/color"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotView shows a gonum.org/v1/plot plot, drawn at the widget's size in
// device pixels (so text and lines stay sharp at any scale) and drawn again
// when the widget is resized or the plot is replaced.
//
// A plot that draws quickly is drawn when the canvas asks for it. One that
// took longer than SyncLimit the last time is redrawn on a goroutine: the
// canvas shows the previous picture, stretched, until the new one is ready,
// so resizing a window never waits on the plot.
//
// The view draws the plot on the theme's background colour with the theme's
// foreground colour for its title, axes and legend, so plots follow the
// light and dark themes; set KeepColors to draw the plot exactly as given
// (on white).
type PlotView struct {
	widget.BaseWidget

	// MinSize is the smallest size the view asks for (default 200×150).
	Min fyne.Size
	// DPI sets how large the plot's fonts and lines (given in points) are
	// at Fyne scale 1 (default 96: a 10-point label is 13 pixels).
	DPI float64
	// SyncLimit: plots that drew faster than this are drawn synchronously
	// (default 40ms).
	SyncLimit time.Duration
	// KeepColors leaves the plot's colours alone.
	KeepColors bool

	mu       sync.Mutex
	drawMu   sync.Mutex // serialises drawing the same *plot.Plot
	plot     *plot.Plot
	gen      int // bumped by SetPlot
	cache    image.Image
	cacheW   int
	cacheH   int
	cacheGen int
	last     time.Duration // how long the last drawing took
	pending  bool          // a background drawing is running
	renders  int           // drawings done (tests)
	raster   *canvas.Raster
}

// NewPlotView returns a view of p (nil shows nothing until SetPlot).
func NewPlotView(p *plot.Plot) *PlotView {
	v := &PlotView{plot: p}
	v.ExtendBaseWidget(v)
	return v
}

// SetPlot replaces the plot and draws it again.
func (v *PlotView) SetPlot(p *plot.Plot) {
	v.mu.Lock()
	v.plot = p
	v.gen++
	v.mu.Unlock()
	if v.raster != nil {
		v.raster.Refresh()
	}
}

// Plot returns the plot shown.
func (v *PlotView) Plot() *plot.Plot {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.plot
}

// Render draws the plot into a w×h image at the given scale (device pixels
// per Fyne unit); it is what the view shows, exposed for saving plots.
func (v *PlotView) Render(w, h int, scale float32) image.Image {
	v.mu.Lock()
	p := v.plot
	v.mu.Unlock()
	return v.render(p, w, h, scale)
}

func (v *PlotView) render(p *plot.Plot, w, h int, scale float32) image.Image {
	if p == nil || w <= 0 || h <= 0 {
		return image.NewNRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	}
	v.drawMu.Lock()
	defer v.drawMu.Unlock()
	var bg color.Color = color.White
	if !v.KeepColors {
		themePlot(p, theme.ColorForWidget(theme.ColorNameForeground, v))
		bg = theme.ColorForWidget(theme.ColorNameBackground, v)
	}
	dpi := v.DPI
	if dpi <= 0 {
		dpi = 96
	}
	if scale <= 0 {
		scale = 1
	}
	dpi *= float64(scale)
	idpi := int(dpi + 0.5)
	size := func(px int) vg.Length { return vg.Length(px) * vg.Inch / vg.Length(idpi) }
	c := vgimg.NewWith(vgimg.UseWH(size(w), size(h)), vgimg.UseDPI(idpi), vgimg.UseBackgroundColor(bg))
	if err := drawPlot(p, c); err != nil {
		// A plot gonum cannot draw (an axis range it rejects, say) is
		// shown as a message instead of taking the whole app down.
		c = vgimg.NewWith(vgimg.UseWH(size(w), size(h)), vgimg.UseDPI(idpi), vgimg.UseBackgroundColor(bg))
		msg := plot.New()
		msg.BackgroundColor = color.Transparent
		msg.Title.Text = "This plot cannot be drawn: " + err.Error()
		msg.Title.TextStyle.Color = p.Title.TextStyle.Color
		msg.HideAxes()
		_ = drawPlot(msg, c)
	}
	img := c.Image()
	v.mu.Lock()
	v.renders++
	v.mu.Unlock()
	return img
}

// drawPlot draws p on c and turns a panic inside gonum's drawing code into
// an error.
func drawPlot(p *plot.Plot, c *vgimg.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	p.Draw(draw.New(c))
	return nil
}

// themePlot sets a transparent background and theme text colours.
func themePlot(p *plot.Plot, fg color.Color) {
	p.BackgroundColor = color.Transparent
	p.Title.TextStyle.Color = fg
	p.Legend.TextStyle.Color = fg
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Color = fg
		a.LineStyle.Color = fg
		a.Label.TextStyle.Color = fg
		a.Tick.Label.Color = fg
		a.Tick.LineStyle.Color = fg
	}
}

// generate is the raster's generator: the picture at w×h pixels.
func (v *PlotView) generate(w, h int) image.Image {
	v.mu.Lock()
	p, gen := v.plot, v.gen
	if v.cache != nil && v.cacheW == w && v.cacheH == h && v.cacheGen == gen {
		img := v.cache
		v.mu.Unlock()
		return img
	}
	limit := v.SyncLimit
	if limit <= 0 {
		limit = 40 * time.Millisecond
	}
	async := v.cache != nil && v.last > limit
	if async {
		stale := v.cache
		if !v.pending {
			v.pending = true
			go v.drawLater(p, gen, w, h)
		}
		v.mu.Unlock()
		return stale
	}
	v.mu.Unlock()
	img := v.draw(p, gen, w, h)
	return img
}

func (v *PlotView) scale(w int) float32 {
	if s := v.Size().Width; s > 0 {
		return float32(w) / s
	}
	return 1
}

func (v *PlotView) draw(p *plot.Plot, gen, w, h int) image.Image {
	start := time.Now()
	img := v.render(p, w, h, v.scale(w))
	v.mu.Lock()
	v.last = time.Since(start)
	if gen == v.gen {
		v.cache, v.cacheW, v.cacheH, v.cacheGen = img, w, h, gen
	}
	v.mu.Unlock()
	return img
}

// drawLater draws on a goroutine and asks the canvas to show the result.
func (v *PlotView) drawLater(p *plot.Plot, gen, w, h int) {
	v.draw(p, gen, w, h)
	v.mu.Lock()
	v.pending = false
	v.mu.Unlock()
	fyne.Do(func() {
		if v.raster != nil {
			v.raster.Refresh()
		}
	})
}

// CreateRenderer implements fyne.Widget.
func (v *PlotView) CreateRenderer() fyne.WidgetRenderer {
	v.ExtendBaseWidget(v)
	v.raster = canvas.NewRaster(v.generate)
	v.raster.ScaleMode = canvas.ImageScaleSmooth
	return &plotViewRenderer{v: v}
}

type plotViewRenderer struct{ v *PlotView }

func (r *plotViewRenderer) Layout(s fyne.Size) { r.v.raster.Resize(s) }
func (r *plotViewRenderer) MinSize() fyne.Size {
	if r.v.Min.IsZero() {
		return fyne.NewSize(200, 150)
	}
	return r.v.Min
}
func (r *plotViewRenderer) Refresh() {
	// A theme change redraws with the new colours.
	r.v.mu.Lock()
	r.v.cache = nil
	r.v.mu.Unlock()
	r.v.raster.Refresh()
}
func (r *plotViewRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.v.raster} }
func (r *plotViewRenderer) Destroy()                     {}

// PlotLength converts Fyne units to plot lengths (points) at the view's DPI,
// for sizing glyphs and padding consistently with the UI.
func (v *PlotView) PlotLength(units float32) vg.Length {
	dpi := v.DPI
	if dpi <= 0 {
		dpi = 96
	}
	return vg.Length(float64(units) * 72 / dpi)
}
