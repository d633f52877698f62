package dream

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/widgets"
)

// Pane is this pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneDream, Title: "Dream & Style", Icon: theme.ColorChromaticIcon(), Order: 90, New: newDreamPane}

const about = "Make images with the network: DeepDream an image, invert features back to pixels, synthesise " +
	"textures and transfer the style of one image onto another. (Class visualisation is in the Saliency pane.)"

// dreamPane is the Dream & Style pane: the mode, its images and settings
// on the left; the network-too-weak notice, the live preview with its
// iteration scrubber and the loss curve on the right.
type dreamPane struct {
	widget.BaseWidget
	inspection.Base

	body, root *fyne.Container
	main       fyne.CanvasObject
	job        *widgets.JobBar

	mode     *widget.Select
	settings *fyne.Container // the chosen mode's form
	c        *controls

	index   *widget.Entry
	src     *sourceView
	styles  *styleList
	sources *fyne.Container // the image pickers of the chosen mode
	info    *widget.Label
	run     *widget.Button
	// fileButton opens an image file (the picker's row without a dataset).
	fileButton *widget.Button

	notice *noticeView
	view   *resultView
	fast   *fastView
}

func newDreamPane(s *ui.State) fyne.CanvasObject {
	p := &dreamPane{Base: inspection.Base{S: s, Title: "Dream & Style", Icon: theme.ColorChromaticIcon(), About: about,
		DataJob: widgets.NewJobBar()}, job: widgets.NewJobBar()}
	p.Base.OnLoaded = p.refresh
	p.ExtendBaseWidget(p)
	p.info = widget.NewLabel("")
	p.info.Wrapping = fyne.TextWrapWord
	p.index = widget.NewEntry()
	p.index.SetText("0")
	p.index.OnSubmitted = func(string) { p.chooseTest() }
	p.src = newSourceView()
	p.styles = newStyleList(p)
	p.c = newControls(p.assess)
	p.notice = newNoticeView()
	p.view = newResultView(p)
	p.fast = newFastView(p)
	p.fileButton = widget.NewButtonWithIcon("Image file…", theme.FolderOpenIcon(), p.chooseFile)
	p.run = widget.NewButtonWithIcon("Run", theme.MediaPlayIcon(), p.start)
	p.run.Importance = widget.HighImportance
	p.settings = container.NewStack()
	p.sources = container.NewVBox()
	p.mode = widget.NewSelect(modes, func(string) { p.modeChanged() })
	p.main = p.layout()
	p.mode.SetSelected(modeDream)
	p.body = container.NewStack()
	p.root = p.Frame(p.job, p.body, p.refresh)
	dropPanes[s] = p
	p.refresh()
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *dreamPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

func (p *dreamPane) layout() fyne.CanvasObject {
	modeForm := widget.NewForm(widget.NewFormItem("Make", p.mode))
	left := container.NewVBox(modeForm, p.sources, widget.NewSeparator(), p.settings,
		container.NewHBox(p.run, p.view.export), p.info)
	right := container.NewBorder(p.notice.root, nil, nil, nil, p.view.root)
	split := container.NewHSplit(container.NewVScroll(widgets.Pad(0, 0, 0, 8, left)), right)
	split.SetOffset(0.36)
	return widgets.Pad(6, 4, 6, 6, split)
}

// modeChanged puts the chosen mode's default steps and step size in and
// shows its images and settings.
func (p *dreamPane) modeChanged() {
	p.c.setMode(p.mode.Selected)
	p.view.setMode(p.mode.Selected == modeDream)
	p.showMode()
}

// showMode shows the chosen mode's images and settings; the test-image
// picker only when the project has a dataset (an imported network has
// none).
func (p *dreamPane) showMode() {
	m := p.mode.Selected
	p.settings.Objects = []fyne.CanvasObject{p.c.form(m, p.fast.items())}
	if m == modeFast {
		p.view.setTop(p.fast.root)
	} else {
		p.view.setTop(nil)
	}
	p.settings.Refresh()
	hasData := p.S.Project.Dataset.Spec != ""
	items := []*widget.FormItem{widget.NewFormItem("", p.fileButton)}
	if hasData {
		items = inspection.PickerItems(p.index, p.chooseTest, p.chooseFile)
	}
	objs := []fyne.CanvasObject{p.src.header(m), p.src.root, widget.NewForm(items...), dropHint(m)}
	if m == modeStyle || m == modeFast {
		p.styles.test.Hidden = !hasData
		objs = append(objs, p.styles.root)
	}
	p.sources.Objects = objs
	p.sources.Refresh()
	p.view.updateExport()
	p.assess()
}

// refresh follows the project's model and the dataset.
func (p *dreamPane) refresh() {
	p.RefreshOneImage(inspection.OneImageView{
		Body: p.body, Main: p.main, Command: "workbench viz dream --project " + ui.ProjectArg(p.S) + " --image FILE --out DIR",
		Pane:     "The Dream & Style pane",
		HasImage: func() bool { return p.src.src != nil },
		OnModel:  p.setModel,
		Choose:   p.chooseTest,
	})
}

// setModel forgets the images and results of the last model and fills the
// layer choices from the new one.
func (p *dreamPane) setModel() {
	p.job.Cancel()
	p.src.set(nil)
	p.styles.clear()
	p.view.clear()
	p.fast.clear()
	p.info.SetText("")
	if p.Model == nil {
		return
	}
	p.c.setModel(p.Model)
	p.showMode()
}

// net is the attribution view of the pane's own network (quick work on
// the UI goroutine only: jobs build their own).
func (p *dreamPane) net() attrib.Net {
	return attrib.Net{Model: p.Model.First.Model, Stats: p.Model.First.Stats}
}

// chooseTest takes test image number index of the dataset as the source.
func (p *dreamPane) chooseTest() { p.ChooseTest(p.index.Text, p.info, p.useSource) }

// chooseFile asks for an image file to take as the source.
func (p *dreamPane) chooseFile() { p.openImageDialog(p.openSource) }

// openImageDialog asks for an image file (PNG, JPEG or GIF) and calls open
// with its path.
func (p *dreamPane) openImageDialog(open func(path string)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		open(path)
	}, p.S.Window)
	d.SetFilter(storage.NewExtensionFileFilter(imageExts))
	if sz := p.S.Window.Canvas().Size(); sz.Width > 900 {
		d.Resize(fyne.NewSize(sz.Width*0.6, sz.Height*0.7))
	}
	d.Show()
}

func (p *dreamPane) useSource(im inspection.Picked) {
	p.src.set(datasetSource(im, p.Model.In))
	p.info.SetText("")
	p.refresh()
}

// openSource takes an image file as the source, or says why it cannot.
func (p *dreamPane) openSource(path string) {
	s, err := fileSource(path, p.Model.In[0], p.stretch())
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	p.src.set(s)
	p.info.SetText("")
	p.refresh()
}

// stretch says how image files are brought to a size: stretched (imported
// Keras models) or covered and cropped.
func (p *dreamPane) stretch() bool { return p.S.Project.Preprocess.Resize == "stretch" }

// PrepareRender computes what the pane shows in render-panes: DeepDream of
// the dataset's first test image (or nothing without one).
func (p *dreamPane) PrepareRender(ctx context.Context) {
	p.Sync, p.job.Sync = true, true
	defer func() { p.Sync, p.job.Sync = false, false }()
	if p.Model == nil {
		return
	}
	if p.S.Dataset == nil && p.S.Project.Dataset.Spec != "" {
		p.LoadData()
	}
	if ctx.Err() != nil || p.src.src == nil && !p.DataOK() {
		return
	}
	p.refresh()
	p.start()
}
