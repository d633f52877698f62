package widgets

import (
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

func linePlot(t *testing.T) *plot.Plot {
	p := plot.New()
	p.Title.Text = "accuracy"
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}, {X: 2, Y: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	l.Color = color.NRGBA{R: 255, A: 255}
	l.Width = 4
	p.Add(l)
	return p
}

// redPixels counts the plot line's pixels in the window's picture.
func redPixels(w fyne.Window) int {
	img := w.Canvas().Capture()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r > 0xc000 && g < 0x4000 && bl < 0x4000 {
				n++
			}
		}
	}
	return n
}

func TestPlotViewDrawsAtItsSizeAndAgainWhenResized(t *testing.T) {
	test.NewTempApp(t)
	v := NewPlotView(linePlot(t))
	v.SyncLimit = time.Hour // always synchronous, however loaded the machine
	w := test.NewTempWindow(t, v)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(300, 200))
	small := redPixels(w)
	if small < 100 {
		t.Fatalf("the plot's line is not drawn: %d red pixels", small)
	}
	if v.cacheW != 300 || v.cacheH != 200 {
		t.Fatalf("drawn at %dx%d, want the widget's 300x200 pixels", v.cacheW, v.cacheH)
	}
	// Bigger: drawn again at the new size (a synchronous redraw: the plot
	// is quick), so the line is longer, not a stretched copy.
	renders := v.renders
	w.Resize(fyne.NewSize(600, 400))
	big := redPixels(w)
	if v.renders == renders || v.cacheW != 600 {
		t.Fatalf("not redrawn on resize (renders %d, cache %dx%d)", v.renders, v.cacheW, v.cacheH)
	}
	if big < small*3/2 {
		t.Fatalf("line has %d pixels at 600x400 and %d at 300x200", big, small)
	}
	// The same size again is served from the cache.
	renders = v.renders
	w.Canvas().Refresh(v)
	redPixels(w)
	if v.renders != renders {
		t.Fatalf("redrawn although nothing changed")
	}
	// A new plot replaces the old one.
	p := plot.New()
	v.SetPlot(p)
	if n := redPixels(w); v.Plot() != p || n != 0 {
		t.Fatalf("SetPlot did not replace the picture: %d red, renders %d gen %d cachegen %d", n, v.renders, v.gen, v.cacheGen)
	}
}

func TestPlotViewDrawsSlowPlotsOffTheCallingGoroutine(t *testing.T) {
	test.NewTempApp(t)
	v := NewPlotView(linePlot(t))
	v.SyncLimit = time.Nanosecond // every plot counts as slow after the first drawing
	w := test.NewTempWindow(t, v)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(300, 200))
	redPixels(w)
	if v.cacheW != 300 {
		t.Fatalf("first drawing is synchronous (nothing to show yet); cache is %dx%d", v.cacheW, v.cacheH)
	}
	w.Resize(fyne.NewSize(500, 300))
	img := v.generate(500, 300)
	if img.Bounds().Dx() != 300 {
		t.Fatalf("a slow plot should show the previous picture while redrawing, got %v", img.Bounds())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		v.mu.Lock()
		done := !v.pending && v.cacheW == 500
		v.mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background drawing never finished")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if img := v.generate(500, 300); img.Bounds().Dx() != 500 {
		t.Fatalf("after the background drawing the picture is %v", img.Bounds())
	}
}

func TestPlotViewFollowsTheDarkTheme(t *testing.T) {
	test.NewTempApp(t)
	v := NewPlotView(linePlot(t))
	w := test.NewTempWindow(t, v)
	w.Resize(fyne.NewSize(300, 200))
	for _, variant := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		test.ApplyTheme(t, variantTheme{variant})
		v.Refresh()
		img := v.Render(300, 200, 1)
		if img.Bounds().Dx() != 300 || img.Bounds().Dy() != 200 {
			t.Fatalf("rendered %v, want 300x200", img.Bounds())
		}
		want := theme.DefaultTheme().Color(theme.ColorNameBackground, variant)
		r1, g1, b1, _ := img.At(1, 1).RGBA()
		r2, g2, b2, _ := want.RGBA()
		if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
			t.Fatalf("variant %d: background %v, want the theme's %v", variant, img.At(1, 1), want)
		}
	}
}

// variantTheme is the default theme fixed to one variant.
type variantTheme struct{ v fyne.ThemeVariant }

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return theme.DefaultTheme().Color(n, t.v)
}
func (variantTheme) Font(s fyne.TextStyle) fyne.Resource     { return theme.DefaultTheme().Font(s) }
func (variantTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (variantTheme) Size(n fyne.ThemeSizeName) float32       { return theme.DefaultTheme().Size(n) }

func TestPlotViewShowsAPlotGonumCannotDrawInsteadOfPanicking(t *testing.T) {
	p := plot.New()
	p.Y.Scale = plot.LogScale{} // a log axis across zero: gonum panics in Draw
	p.Y.Min, p.Y.Max = 0, 1
	v := NewPlotView(p)
	img := v.Render(200, 120, 1)
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 120 {
		t.Fatalf("image is %v, want 200x120", b)
	}
	// The message is drawn: the picture is not one flat colour.
	first := img.At(0, 0)
	flat := true
	for y := 0; y < 120 && flat; y++ {
		for x := 0; x < 200; x++ {
			if img.At(x, y) != first {
				flat = false
				break
			}
		}
	}
	if flat {
		t.Fatal("the undrawable plot left a blank picture; want the message")
	}
}
