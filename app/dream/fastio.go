package dream

import (
	"context"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/projects/stylenet"
	"github.com/workbench-cv/workbench/widgets"
)

// Save network… and Open network…: the fast mode's transformation network
// as a project of its own (projects/stylenet, the file workbench
// train-style writes and viz style --fast reads).

// saveDialog asks where to save the network. It takes only the chosen
// path: the dialog's writer is closed unwritten (the app's file repository
// opens a file on the first write, so the file is as it was) and
// stylenet.Save replaces the file atomically, refusing a file that is not
// a project, as the main window's Save As does.
func (v *fastView) saveDialog() {
	if v.net == nil {
		return
	}
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			v.p.info.SetText("Could not save the network: " + err.Error() + ".")
			return
		}
		if wc == nil {
			return // cancelled
		}
		path := wc.URI().Path()
		wc.Close()
		v.saveTo(withProjectExt(path))
	}, v.p.S.Window)
	d.SetFileName(v.fileName())
	d.SetFilter(storage.NewExtensionFileFilter([]string{projects.Extension}))
	v.sizeDialog(d)
	d.Show()
}

// openDialog asks for a saved network to open.
func (v *fastView) openDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			v.p.info.SetText("Could not open the network: " + err.Error() + ".")
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		v.openFrom(path)
	}, v.p.S.Window)
	d.SetFilter(storage.NewExtensionFileFilter([]string{projects.Extension}))
	v.sizeDialog(d)
	d.Show()
}

func (v *fastView) sizeDialog(d interface{ Resize(fyne.Size) }) {
	if sz := v.p.S.Window.Canvas().Size(); sz.Width > 900 {
		d.Resize(fyne.NewSize(sz.Width*0.6, sz.Height*0.7))
	}
}

// withProjectExt gives a file name without the project extension that
// extension (the file of the name typed is left alone).
func withProjectExt(path string) string {
	if !strings.EqualFold(filepath.Ext(path), projects.Extension) {
		path += projects.Extension
	}
	return path
}

// fileName is the Save dialog's suggestion: after the network's styles.
func (v *fastView) fileName() string {
	var parts []string
	for _, s := range v.net.Styles {
		s = strings.TrimSuffix(s, filepath.Ext(s))
		parts = append(parts, strings.Map(func(r rune) rune {
			if r == '/' || r == '\\' || r == ':' || r < ' ' {
				return '-'
			}
			return r
		}, s))
	}
	return "fast-style-" + strings.Join(parts, "-") + projects.Extension
}

// saveTo writes the network and how it was trained to path, off the UI
// goroutine.
func (v *fastView) saveTo(path string) {
	p := v.p
	if v.net == nil {
		return
	}
	net, meta := v.net, v.meta
	err := p.job.Start("Saving the network to "+filepath.Base(path), func(ctx context.Context, report widgets.Report) error {
		return stylenet.Save(path, net, meta)
	}, func(err error) {
		switch {
		case errors.Is(err, projects.ErrNotProject):
			p.info.SetText(fmt.Sprintf("%s exists and is not a Workbench project, so it was not replaced: save the network under another name.", path))
		case err != nil:
			p.info.SetText("Could not save the network: " + err.Error() + ".")
		default:
			p.info.SetText(fmt.Sprintf("Network saved to %s (%s). Open network… brings it back; workbench viz style --fast %s --content PHOTO --out DIR stylises with it.",
				path, strings.Join(net.Styles, ", "), filepath.Base(path)))
		}
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}

// openFrom opens the network saved at path, off the UI goroutine, and
// restyles the gallery with it: the images it shows, else the chosen
// image's content set at the Size setting.
func (v *fastView) openFrom(path string) {
	p := v.p
	content, size, setErr := v.gallerySet(nil)
	blend, blendErr := p.styles.blend()
	listed, stretch, do := len(p.styles.items), p.stretch(), uiDo(p.job.Sync)
	err := p.job.Start("Opening "+filepath.Base(path), func(ctx context.Context, report widgets.Report) error {
		net, meta, err := stylenet.Open(path, cpu.New())
		if err != nil {
			return err
		}
		bl, note := blendFor(net, blend, blendErr, listed)
		var out []image.Image
		if setErr == nil {
			if size < net.MinSide() {
				size = net.MinSide()
			}
			if out, err = restyle(ctx, net, content, size, stretch, bl, report); err != nil {
				return err
			}
		}
		do(func() {
			v.net, v.meta = net, meta
			v.restyle.Enable()
			v.save.Enable()
			if setErr == nil {
				v.content, v.size = content, size
				note = "The gallery shows " + note
			} else {
				content, out = nil, nil
				note = "Choose a content image, then Stylise again: it will show " + note
			}
			v.show(content, out)
			p.info.SetText(openedText(path, net, meta) + " " + note + ".")
		})
		return nil
	}, func(err error) {
		if err != nil && !widgets.Cancelled(err) {
			p.info.SetText("Could not open the network: " + err.Error() + ".")
		}
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}

// openedText says what was opened and how it was trained.
func openedText(path string, net *style.FastNet, m stylenet.Meta) string {
	s := fmt.Sprintf("Opened %s: %d style", filepath.Base(path), len(net.Styles))
	if len(net.Styles) != 1 {
		s += "s"
	}
	s += " (" + strings.Join(net.Styles, ", ") + ")"
	if m.Perceptual != "" {
		s += ", trained on " + m.Perceptual
	}
	if m.Steps > 0 && m.Size > 0 {
		s += fmt.Sprintf(" for %d steps at %d px", m.Steps, m.Size)
	}
	if m.ContentLayer != "" {
		s += ", content layer " + m.ContentLayer
	}
	return s + "."
}

// blendFor is the blend the gallery uses for net: the style list's
// weights when the list has one style per style of the network, else the
// network's first style; and words saying which.
func blendFor(net *style.FastNet, blend []float64, err error, listed int) ([]float64, string) {
	n := len(net.Styles)
	switch {
	case listed == n && err == nil && n > 1:
		return blend, "its styles mixed by the style list's blend weights"
	case listed == n && n > 1:
		return nil, fmt.Sprintf("its first style (%s): the style list's blend weights are all 0", net.Styles[0])
	case listed == n:
		return nil, "its style"
	}
	return nil, fmt.Sprintf("its first style (%s): the network holds %d styles and the style list has %s; list %d to blend its styles with their weights",
		net.Styles[0], n, images(listed), n)
}

// images is "1 image", "2 images"...
func images(n int) string {
	if n == 1 {
		return "1 image"
	}
	return fmt.Sprintf("%d images", n)
}

// gallerySet is what the gallery stylises: the images it shows (at their
// size), else the chosen content image and the other images of its folder
// at the Size setting (a multiple of 4 and at least the network's least
// side; 8 when net is nil).
func (v *fastView) gallerySet(net *style.FastNet) ([]*source, int, error) {
	least := 8
	if net != nil {
		least = net.MinSide()
	}
	if len(v.content) > 0 && v.size >= least {
		return v.content, v.size, nil
	}
	src := v.p.src.src
	if src == nil {
		return nil, 0, fmt.Errorf("choose a content image first: a test image, an image file, or drop one on the window")
	}
	var styles []*source
	for _, it := range v.p.styles.items {
		styles = append(styles, it.src)
	}
	size := int(v.p.c.size.Value)
	return v.contentSet(src, styles), max(size-size%4, least), nil
}

// restyle stylises each source at size with the blend, reporting progress.
func restyle(ctx context.Context, net *style.FastNet, content []*source, size int, stretch bool, blend []float64, report widgets.Report) ([]image.Image, error) {
	var out []image.Image
	for i, s := range content {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		report(i, len(content), fmt.Sprintf("Stylising %s", s.name))
		im, err := s.at(3, size, stretch)
		if err != nil {
			return nil, err
		}
		r, err := net.Stylise(im, blend)
		if err != nil {
			return nil, err
		}
		out = append(out, attrib.PixelImage(r.Pix, 3, r.Shape[1], r.Shape[2]))
	}
	report(len(content), len(content), "")
	return out, nil
}
