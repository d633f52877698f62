package classic

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

// featuresTab shows the hand-made features of one image: its HOG (the
// orientation histogram of every cell drawn as line glyphs) and its hue
// histogram (the colour feature).
type featuresTab struct {
	p    *classicPane
	ds   *data.Dataset
	root *fyne.Container
	form fyne.CanvasObject

	index    *widgets.IntField
	original *canvas.Image
	hog      *canvas.Image
	hist     *widgets.PlotView
	info     *widget.Label
	rng      *rand.Rand
}

// hueBins is the hue histogram's length, as in the "hist" features.
const hueBins = 10

func newFeaturesTab(p *classicPane) *featuresTab {
	t := &featuresTab{p: p, rng: rand.New(rand.NewPCG(7, 11))}
	t.index = widgets.NewIntField("Test image", 0, 0, math.MaxInt32)
	t.index.OnSubmitted = func(string) { t.show() }
	show := widget.NewButton("Show", t.show)
	prev := widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { t.step(-1) })
	next := widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { t.step(1) })
	random := widget.NewButtonWithIcon("Random", theme.ViewRefreshIcon(), func() {
		if t.ds != nil && t.ds.Test.Len() > 0 {
			t.index.SetText(fmt.Sprint(t.rng.IntN(t.ds.Test.Len())))
			t.show()
		}
	})
	bar := container.NewHBox(widget.NewLabelWithStyle("Test image", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.New(&widgets.MinWidth{W: 110}, t.index.Entry), show, prev, next, random)
	mk := func() *canvas.Image {
		im := canvas.NewImageFromImage(nil)
		im.FillMode = canvas.ImageFillContain
		im.ScaleMode = canvas.ImageScalePixels
		im.SetMinSize(fyne.NewSquareSize(224))
		return im
	}
	t.original, t.hog = mk(), mk()
	t.hog.ScaleMode = canvas.ImageScaleSmooth
	t.hist = widgets.NewPlotView(nil)
	t.hist.Min = fyne.NewSize(300, 224)
	t.info = widget.NewLabel("")
	t.info.Wrapping = fyne.TextWrapWord
	pics := container.NewGridWithColumns(3,
		widgets.Card("Image", t.original),
		widgets.Card("HOG: orientation histogram per cell", t.hog),
		widgets.Card(fmt.Sprintf("Hue histogram (%d bins)", hueBins), t.hist))
	t.form = container.New(layout.NewCustomPaddedLayout(6, 6, 6, 6), container.NewBorder(bar, t.info, nil, nil, pics))
	t.root = container.NewStack()
	return t
}

func (t *featuresTab) setDataset(ds *data.Dataset) {
	t.ds = ds
	if ds == nil {
		t.root.Objects = []fyne.CanvasObject{t.p.needData("Load the dataset to look at HOG and colour-histogram features.")}
	} else {
		t.index.Hi = max(ds.Test.Len()-1, 0)
		t.root.Objects = []fyne.CanvasObject{t.form}
		t.show()
	}
	t.root.Refresh()
}

func (t *featuresTab) step(d int) {
	if t.ds == nil || t.ds.Test.Len() == 0 {
		return
	}
	i, _ := t.index.Value()
	n := t.ds.Test.Len()
	t.index.SetText(fmt.Sprint(((i+d)%n + n) % n))
	t.show()
}

// show computes and draws the features of the chosen test image.
func (t *featuresTab) show() {
	s := t.ds.Test
	if s.Len() == 0 {
		t.info.SetText("The dataset has no test images.")
		return
	}
	i, err := t.index.Value()
	if err != nil {
		t.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	img := s.Image(i)
	t.original.Image = s.Picture(i)
	t.original.Refresh()

	cfg := classic.HOGConfig{Cell: classic.DefaultHOG.Cell, Bins: classic.DefaultHOG.Bins} // per-cell histograms, no blocks
	cy, cx := s.H/cfg.Cell, s.W/cfg.Cell
	if cy == 0 || cx == 0 {
		t.hog.Image = nil
		t.info.SetText(fmt.Sprintf("Images of %d×%d pixels are smaller than one %d×%d HOG cell.", s.H, s.W, cfg.Cell, cfg.Cell))
	} else {
		hist := make([]float32, cfg.HOGLen(s.H, s.W))
		classic.HOG(hist, img, s.C, s.H, s.W, cfg)
		t.hog.Image = hogGlyphs(hist, cy, cx, cfg.Bins, 48)
		label := "?"
		if l := int(s.Labels[i]); l < len(s.Classes) {
			label = s.Classes[l]
		}
		t.info.SetText(fmt.Sprintf("Test image %s (%s). HOG: gradients voted into %d unsigned orientation bins in each %d×%d-pixel cell (%d×%d cells); "+
			"each glyph line runs along the edge direction of its bin, brighter for more gradient. The features normalise 2×2-cell blocks: %d values. "+
			"The hue histogram counts the pixels of each hue (grey images are all hue 0): %d values.",
			widgets.Thousands(i), label, cfg.Bins, cfg.Cell, cfg.Cell, cx, cy, classic.DefaultHOG.HOGLen(s.H, s.W), hueBins))
	}
	t.hog.Refresh()
	hue := make([]float32, hueBins)
	classic.HueHistogram(hue, img, s.C, s.H, s.W, hueBins)
	t.hist.SetPlot(huePlot(hue))
}

// hogGlyphs draws per-cell orientation histograms (cy×cx cells of bins
// values) as the usual HOG picture: in each cell, one line per bin through
// the centre along the edge direction (perpendicular to the gradient),
// brighter for a larger bin, on black; cell pixels wide.
func hogGlyphs(hist []float32, cy, cx, bins, cell int) image.Image {
	w, h := cx*cell, cy*cell
	img := image.NewGray(image.Rect(0, 0, w, h))
	peak := float32(0)
	for _, v := range hist {
		peak = max(peak, v)
	}
	if peak == 0 {
		return img
	}
	r := float64(cell) * 0.45
	for y := range cy {
		for x := range cx {
			ccx, ccy := (float64(x)+0.5)*float64(cell), (float64(y)+0.5)*float64(cell)
			for b := range bins {
				v := hist[(y*cx+x)*bins+b] / peak
				if v <= 0.02 {
					continue
				}
				// Gradient angle of the bin's centre; the edge is at +90°.
				// Image y points down, as in the gradients.
				a := (float64(b)+0.5)*math.Pi/float64(bins) + math.Pi/2
				dx, dy := math.Cos(a)*r, math.Sin(a)*r
				drawLine(img, ccx-dx, ccy-dy, ccx+dx, ccy+dy, float64(v))
			}
		}
	}
	return img
}

// drawLine adds a 1.5-pixel anti-aliased line of intensity v (0-1) to img,
// keeping the brighter value where lines cross.
func drawLine(img *image.Gray, x0, y0, x1, y1, v float64) {
	n := int(math.Ceil(math.Hypot(x1-x0, y1-y0)*2)) + 1
	b := img.Bounds()
	for k := 0; k <= n; k++ {
		f := float64(k) / float64(n)
		x, y := x0+(x1-x0)*f, y0+(y1-y0)*f
		for py := int(math.Floor(y - 1)); py <= int(math.Ceil(y+1)); py++ {
			for px := int(math.Floor(x - 1)); px <= int(math.Ceil(x+1)); px++ {
				if px < b.Min.X || py < b.Min.Y || px >= b.Max.X || py >= b.Max.Y {
					continue
				}
				d := math.Hypot(float64(px)+0.5-x, float64(py)+0.5-y)
				cov := math.Max(0, math.Min(1, 1.25-d))
				val := uint8(math.Round(255 * v * cov))
				if o := img.PixOffset(px, py); val > img.Pix[o] {
					img.Pix[o] = val
				}
			}
		}
	}
}

// huePlot draws the hue histogram with every bar in its hue.
func huePlot(h []float32) *plot.Plot {
	p := widgets.NewPlot()
	p.X.Label.Text = "hue (degrees)"
	p.Y.Label.Text = "share of pixels"
	p.Y.Tick.Marker = widgets.PercentTicks{}
	p.Add(hueBars(h))
	p.X.Min, p.X.Max = 0, 360
	p.Y.Min = 0
	p.X.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 90, Label: "90"}, {Value: 180, Label: "180"}, {Value: 270, Label: "270"}, {Value: 360, Label: "360"}}
	return p
}

// hueBars are bars over [0, 360) degrees coloured by their hue.
type hueBars []float32

func (hb hueBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	w := 360 / float64(len(hb))
	for i, v := range hb {
		x0, x1 := trX(float64(i)*w+w*0.06), trX(float64(i+1)*w-w*0.06)
		y0, y1 := trY(0), trY(float64(v))
		c.FillPolygon(hueColor((float64(i)+0.5)/float64(len(hb))), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	}
}

func (hb hueBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	for _, v := range hb {
		ymax = math.Max(ymax, float64(v))
	}
	return 0, 360, 0, math.Max(ymax*1.08, 0.05)
}

// hueColor is the fully saturated colour of hue h in [0, 1).
func hueColor(h float64) color.Color {
	h6 := h * 6
	x := 1 - math.Abs(math.Mod(h6, 2)-1)
	var r, g, b float64
	switch int(h6) % 6 {
	case 0:
		r, g = 1, x
	case 1:
		r, g = x, 1
	case 2:
		g, b = 1, x
	case 3:
		g, b = x, 1
	case 4:
		r, b = x, 1
	default:
		r, b = 1, x
	}
	f := func(v float64) uint8 { return uint8(math.Round(40 + v*190)) }
	return color.NRGBA{R: f(r), G: f(g), B: f(b), A: 255}
}
