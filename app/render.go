package app

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/projects"
)

// RenderOptions configure RenderPanes.
type RenderOptions struct {
	// Width and Height of the window in pixels; 0 means 1280×800.
	Width, Height int
	// Dark renders with the dark theme instead of the light one.
	Dark bool
}

// RenderPanes draws the main window once per pane, with that pane in front,
// for project p (saved at path, "" if never saved), and writes one PNG per
// pane into dir, named after the pane's ID ("data.png", "train.png"...). It
// uses Fyne's software painter, so it needs no display. It returns the files
// in navigation order.
//
// It replaces the current Fyne app with an in-memory test app, so it is
// meant for a command-line process or a test, not a running GUI.
func RenderPanes(ctx context.Context, p *projects.Project, path, dir string, opt RenderOptions) ([]string, error) {
	if p == nil {
		return nil, fmt.Errorf("no project to render")
	}
	if opt.Width <= 0 {
		opt.Width = 1280
	}
	if opt.Height <= 0 {
		opt.Height = 800
	}
	if opt.Width > 8192 || opt.Height > 8192 {
		return nil, fmt.Errorf("window size %dx%d is too large; use at most 8192x8192", opt.Width, opt.Height)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the output folder: %w", err)
	}
	// Fyne expects UI calls off the main goroutine (the driver owns that
	// one), and a command-line process calls from main: render elsewhere.
	type result struct {
		files []string
		err   error
	}
	ch := make(chan result, 1)
	go func() {
		files, err := renderPanes(ctx, p, path, dir, opt)
		ch <- result{files, err}
	}()
	r := <-ch
	return r.files, r.err
}

func renderPanes(ctx context.Context, p *projects.Project, path, dir string, opt RenderOptions) ([]string, error) {
	variant := theme.VariantLight
	if opt.Dark {
		variant = theme.VariantDark
	}
	a := test.NewApp()
	a.Settings().SetTheme(fixedVariant{Theme: theme.DefaultTheme(), variant: variant})

	s := ui.NewState(p, path)
	s.Device = DeviceName()
	w := test.NewWindow(nil)
	defer w.Close()
	w.SetPadded(false)
	s.Window = w
	sh := newShell(s)
	w.SetContent(sh.root)
	w.Resize(fyne.NewSize(float32(opt.Width), float32(opt.Height)))

	var files []string
	for _, pane := range sh.panes {
		if err := ctx.Err(); err != nil {
			return files, err
		}
		sh.show(pane.ID)
		if rp, ok := sh.built[pane.ID].(ui.RenderPreparer); ok {
			rp.PrepareRender(ctx)
		}
		img := w.Canvas().Capture()
		name := filepath.Join(dir, pane.ID+".png")
		if err := writePNG(name, img); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	return files, nil
}

func writePNG(name string, img image.Image) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	return nil
}

// fixedVariant is a theme that always uses one variant (light or dark),
// whatever the system prefers.
type fixedVariant struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t fixedVariant) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}
