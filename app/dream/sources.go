package dream

import (
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/widgets"
)

// source is an image the pane works from: a file, read again at the size
// a run asks for, or a dataset image, resized to it.
type source struct {
	name  string
	path  string
	pix   []float32 // C×H×W of shape, for a dataset image
	shape []int
	thumb image.Image
}

const thumbSide = 96

func datasetSource(im inspection.Picked, in []int) *source {
	return &source{name: im.Name, pix: im.X, shape: append([]int(nil), in...), thumb: attrib.PixelImage(im.X, in[0], in[1], in[2])}
}

// fileSource reads an image file of c channels (checking that it can) and
// keeps a thumbnail of it.
func fileSource(path string, c int, stretch bool) (*source, error) {
	x, err := data.ReadImageFile(path, c, thumbSide, thumbSide, stretch)
	if err != nil {
		return nil, err
	}
	return &source{name: filepath.Base(path), path: path, thumb: attrib.PixelImage(x, c, thumbSide, thumbSide)}, nil
}

// at is the image at size×size pixels of c channels.
func (s *source) at(c, size int, stretch bool) (style.Image, error) {
	sh := []int{c, size, size}
	if s.path != "" {
		x, err := data.ReadImageFile(s.path, c, size, size, stretch)
		if err != nil {
			return style.Image{}, fmt.Errorf("%s: %v", s.name, err)
		}
		return style.Image{Pix: x[:c*size*size], Shape: sh}, nil
	}
	return style.Image{Pix: style.Resize(s.pix, c, s.shape[1], s.shape[2], size, size), Shape: sh}, nil
}

// thumbnail is a small picture that keeps its aspect.
func thumbnail(img image.Image, side float32) *canvas.Image {
	r := canvas.NewImageFromImage(img)
	r.FillMode = canvas.ImageFillContain
	r.ScaleMode = canvas.ImageScaleSmooth
	r.SetMinSize(fyne.NewSquareSize(side))
	return r
}

// sourceView shows the image a run starts from (the content for style).
type sourceView struct {
	src  *source
	pic  *canvas.Image
	name *widget.Label
	root fyne.CanvasObject
}

func newSourceView() *sourceView {
	v := &sourceView{pic: thumbnail(nil, thumbSide), name: widget.NewLabel("No image yet.")}
	v.name.Wrapping = fyne.TextWrapWord
	v.root = container.NewBorder(nil, nil, v.pic, nil, v.name)
	return v
}

func (v *sourceView) header(mode string) fyne.CanvasObject {
	t := "Image"
	if mode == modeStyle || mode == modeFast {
		t = "Content image"
	} else if mode == modeTexture {
		t = "Texture source"
	}
	return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func (v *sourceView) set(s *source) {
	v.src = s
	if s == nil {
		v.pic.Image = nil
		v.name.SetText("No image yet.")
	} else {
		v.pic.Image = s.thumb
		v.name.SetText(s.name)
	}
	v.pic.Refresh()
}

func dropHint(mode string) fyne.CanvasObject {
	t := "Or drop an image file on the window."
	if mode == modeStyle || mode == modeFast {
		t = "Or drop image files on the window: on the style list to add styles, elsewhere for the content."
	}
	l := widget.NewLabel(t)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.LowImportance
	return l
}

// styleList is style transfer's style images, each with its blend weight.
type styleList struct {
	p     *dreamPane
	items []styleItem
	rows  *fyne.Container
	test  *widget.Button // adds the picker's test image
	root  fyne.CanvasObject
}

type styleItem struct {
	src   *source
	blend *valueSlider
}

func newStyleList(p *dreamPane) *styleList {
	l := &styleList{p: p, rows: container.NewVBox()}
	file := widget.NewButtonWithIcon("Add style file…", theme.FolderOpenIcon(), func() { p.openImageDialog(l.addFile) })
	l.test = widget.NewButtonWithIcon("Add test image", theme.ContentAddIcon(), l.addTest)
	head := widget.NewLabelWithStyle("Style images (blend weights)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.root = container.NewVBox(head, l.rows, container.NewHBox(file, l.test))
	l.show()
	return l
}

func (l *styleList) add(s *source) {
	l.items = append(l.items, styleItem{src: s, blend: newValueSlider(0, 1, 0.05, 1,
		func(v float64) string { return fmt.Sprintf("%.2f", v) }, nil).narrow()})
	l.show()
}

// addFile adds an image file as a style, or says why it cannot.
func (l *styleList) addFile(path string) {
	s, err := fileSource(path, l.p.Model.In[0], l.p.stretch())
	if err != nil {
		l.p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	l.add(s)
}

// addTest adds the test image the picker names as a style.
func (l *styleList) addTest() {
	l.p.ChooseTest(l.p.index.Text, l.p.info, func(im inspection.Picked) { l.add(datasetSource(im, l.p.Model.In)) })
}

func (l *styleList) clear() {
	l.items = nil
	l.show()
}

func (l *styleList) show() {
	var objs []fyne.CanvasObject
	for i, it := range l.items {
		name := widget.NewLabel(it.src.name)
		name.Truncation = fyne.TextTruncateEllipsis
		rm := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			l.items = append(l.items[:i], l.items[i+1:]...)
			l.show()
		})
		rm.Importance = widget.LowImportance
		left := container.NewBorder(nil, nil, thumbnail(it.src.thumb, 40), nil, container.New(&widgets.MinWidth{W: 80}, name))
		objs = append(objs, container.NewBorder(nil, nil, left, rm, it.blend.box))
	}
	if len(objs) == 0 {
		objs = append(objs, widgets.Caption("No style image yet.", nil))
	}
	l.rows.Objects = objs
	l.rows.Refresh()
}

// blend is the style images' weights, summing to 1.
func (l *styleList) blend() ([]float64, error) {
	var sum float64
	for _, it := range l.items {
		sum += it.blend.Value
	}
	if sum <= 0 {
		return nil, fmt.Errorf("every style image has blend weight 0: give one a weight above 0")
	}
	out := make([]float64, len(l.items))
	for i, it := range l.items {
		out[i] = it.blend.Value / sum
	}
	return out, nil
}

// dropPanes finds a window's Dream & Style pane for Drop.
var dropPanes = map[*ui.State]*dreamPane{}

// imageExts are the image files the pane reads (data.ReadImageFile's).
var imageExts = []string{".png", ".jpg", ".jpeg", ".gif"}

// imageFile reports a file name the pane can read as an image.
func imageFile(path string) bool {
	return slices.Contains(imageExts, strings.ToLower(filepath.Ext(path)))
}

// Drop takes image files dropped on the main window at pos (canvas
// coordinates) into the Dream & Style pane and shows it; it reports
// whether it took them (other files go to the window's own handling). In
// style transfer, images dropped on the style list become styles; the
// first one dropped elsewhere becomes the content, and the rest styles.
func Drop(s *ui.State, pos fyne.Position, uris []fyne.URI) bool {
	var paths []string
	for _, u := range uris {
		if imageFile(u.Path()) {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 || len(paths) != len(uris) {
		return false
	}
	s.ShowPane(ui.PaneDream)
	p, ok := dropPanes[s]
	if !ok {
		return false
	}
	p.drop(pos, paths)
	return true
}

func (p *dreamPane) drop(pos fyne.Position, paths []string) {
	if p.Model == nil {
		return
	}
	many := p.mode.Selected == modeStyle || p.mode.Selected == modeFast
	styles := many && p.onStyleList(pos)
	for _, path := range paths {
		if many && (styles || p.src.src != nil && path != paths[0]) {
			p.styles.addFile(path)
			continue
		}
		p.openSource(path)
	}
}

// onStyleList reports whether pos lies on the style list.
func (p *dreamPane) onStyleList(pos fyne.Position) bool {
	d := fyne.CurrentApp().Driver()
	at := d.AbsolutePositionForObject(p.styles.root)
	sz := p.styles.root.Size()
	return p.styles.root.Visible() && pos.X >= at.X && pos.Y >= at.Y && pos.X < at.X+sz.Width && pos.Y < at.Y+sz.Height
}
