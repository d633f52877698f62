package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneData, Title: "Data", Icon: theme.StorageIcon(), Order: 10, New: newDataPane})

// dataChoices are the named datasets of the chooser, in the order shown.
var dataChoices = []struct{ spec, title string }{
	{data.SpecSample, "Bundled sample"},
	{data.SpecFashionMNIST, "Fashion-MNIST"},
	{data.SpecMNIST, "MNIST"},
	{data.SpecCIFAR10, "CIFAR-10"},
}

// datasetTitle is how a dataset spec is named to people.
func datasetTitle(spec string) string {
	for _, c := range dataChoices {
		if strings.EqualFold(c.spec, spec) {
			return c.title
		}
	}
	if spec == "" {
		return "no dataset"
	}
	return filepath.Base(filepath.Clean(spec))
}

// sizeSetting is the Inspect number holding the side every image of a
// folder or zip dataset is resized to (chosen when its sizes were mixed).
const sizeSetting = "data.size"

// dataPane is the Data pane: choose a dataset, load it with progress and
// Cancel, and look at it (see dataView).
type dataPane struct {
	widget.BaseWidget
	s *State

	choice     *widget.Select
	choiceSpec []string // spec of each option of choice
	quiet      bool     // choice set by code: do not load
	job        *jobBar
	body       *fyne.Container
	root       fyne.CanvasObject

	view    *dataView // nil until a dataset is shown
	shown   *data.Dataset
	lastErr error  // the last load's error, shown until the next load
	errSpec string // the spec that failed
}

// dataPanes finds the Data pane of a state, for files dropped on the window.
var dataPanes = map[*State]*dataPane{}

func newDataPane(s *State) fyne.CanvasObject {
	p := &dataPane{s: s, job: newJobBar()}
	p.ExtendBaseWidget(p)
	dataPanes[s] = p

	p.choice = widget.NewSelect(nil, func(string) {
		if p.quiet {
			return
		}
		if i := p.choice.SelectedIndex(); i >= 0 && i < len(p.choiceSpec) {
			p.load(p.choiceSpec[i], 0)
		}
	})
	p.choice.PlaceHolder = "Choose a dataset"
	openFile := widget.NewButtonWithIcon("File…", theme.FileIcon(), p.chooseFile)
	openFolder := widget.NewButtonWithIcon("Folder…", theme.FolderOpenIcon(), p.chooseFolder)
	reload := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { p.load(p.spec(), 0) })
	label := widget.NewLabelWithStyle("Dataset", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	left := container.NewHBox(label, container.New(&minWidth{w: 200}, p.choice), openFile, openFolder, reload)
	toolbar := container.NewBorder(nil, nil, left, nil, container.New(layout.NewCustomPaddedLayout(0, 0, 12, 0), p.job.root))
	p.body = container.NewStack()
	p.root = container.NewBorder(
		container.NewVBox(container.New(layout.NewCustomPaddedLayout(6, 2, 8, 8), toolbar), widget.NewSeparator()),
		nil, nil, nil, p.body)

	s.OnChange(func(c Change) {
		switch c {
		case ProjectReplaced:
			p.job.Cancel()
			p.lastErr = nil
			p.refresh()
		case DatasetChanged:
			if p.s.Dataset != nil {
				p.lastErr = nil
			}
			p.refresh()
		}
	})
	p.refresh()
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *dataPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

// spec is the project's dataset ("sample" when it names none).
func (p *dataPane) spec() string { return datasetSpec(p.s) }

// refresh shows what the state holds: the dataset, the last error, or what
// to do first.
func (p *dataPane) refresh() {
	p.syncChoice()
	switch {
	case p.lastErr != nil:
		p.setBody(p.errorState())
	case p.s.Dataset != nil:
		if p.shown != p.s.Dataset || p.view == nil {
			p.shown = p.s.Dataset
			p.view = newDataView(p.s, p.s.Dataset)
		}
		p.setBody(p.view.root)
	default:
		p.shown, p.view = nil, nil
		p.setBody(p.emptyState())
	}
}

func (p *dataPane) setBody(o fyne.CanvasObject) {
	if len(p.body.Objects) == 1 && p.body.Objects[0] == o {
		return
	}
	p.body.Objects = []fyne.CanvasObject{o}
	p.body.Refresh()
}

// syncChoice shows the project's dataset in the chooser, adding an option
// for a file or folder.
func (p *dataPane) syncChoice() {
	spec := p.s.Project.Dataset.Spec
	var opts, specs []string
	sel := -1
	for _, c := range dataChoices {
		if strings.EqualFold(c.spec, spec) {
			sel = len(opts)
		}
		opts, specs = append(opts, c.title), append(specs, c.spec)
	}
	if spec != "" && sel < 0 {
		sel = len(opts)
		opts, specs = append(opts, datasetTitle(spec)), append(specs, spec)
	}
	p.quiet = true
	p.choice.Options, p.choiceSpec = opts, specs
	if sel >= 0 {
		p.choice.SetSelectedIndex(sel)
	} else {
		p.choice.ClearSelected()
	}
	p.choice.Refresh()
	p.quiet = false
}

func (p *dataPane) emptyState() fyne.CanvasObject {
	e := widgets.NewEmptyState(theme.StorageIcon(), "Data",
		"Load the dataset and look at it before training: a grid of examples you can filter by class "+
			"and split, how many images each class has, the mean image, and what augmentation does to an image.")
	spec := p.s.Project.Dataset.Spec
	if spec == "" {
		e.Steps = []string{"Choose a dataset above: the bundled sample, Fashion-MNIST, MNIST, CIFAR-10, " +
			"or a folder, .zip or file of your own (or drop one on the window)."}
		e.ActionLabel = "Load the bundled sample"
		e.OnAction = func() { p.load(data.SpecSample, 0) }
		return e
	}
	if spec == data.SpecSample {
		e.Steps = []string{"This project trains on the bundled sample: a small, class-balanced cut of " +
			"Fashion-MNIST built into Workbench. Load it, or choose another dataset above."}
	} else {
		e.Steps = []string{fmt.Sprintf("This project trains on %s. Load it, or choose another dataset above "+
			"(or drop a folder or .zip of class folders on the window).", datasetTitle(spec))}
	}
	if cl := p.s.Project.Dataset.Classes; len(cl) > 0 {
		e.Note = fmt.Sprintf("Classes: %s.", strings.Join(cl, ", "))
	}
	e.ActionLabel = "Load " + datasetTitle(spec)
	e.OnAction = func() { p.load(spec, 0) }
	return e
}

// mixedSizes finds the first image's size in the reader's message about
// images of different sizes.
var mixedSizes = regexp.MustCompile(`mixed image sizes: the first image is (\d+)x(\d+)|images are (\d+)x(\d+) but`)

func (p *dataPane) errorState() fyne.CanvasObject {
	err := p.lastErr
	e := widgets.NewEmptyState(theme.ErrorIcon(), "Cannot load "+datasetTitle(p.errSpec), firstUpper(err.Error())+".")
	e.Description = strings.TrimSuffix(e.Description, "..") // messages may end with a full stop
	switch {
	case errors.Is(err, data.ErrBadInput):
		e.Steps = []string{"Fix the data as the message says, or choose another dataset above."}
		if p.s.Dataset != nil {
			e.Steps[0] += " The project still uses " + datasetTitle(p.s.Project.Dataset.Spec) + "."
		}
	default:
		e.Steps = []string{"The files could not be read. Check that they exist and are readable, then try again."}
	}
	e.ActionLabel = "Try again"
	spec := p.errSpec
	e.OnAction = func() { p.load(spec, 0) }
	if p.s.Dataset != nil {
		e.ActionLabel = "Back to " + datasetTitle(p.s.Project.Dataset.Spec)
		e.OnAction = func() { p.lastErr = nil; p.refresh() }
	}
	if m := mixedSizes.FindStringSubmatch(err.Error()); m != nil {
		w, _ := strconv.Atoi(m[1] + m[3])
		h, _ := strconv.Atoi(m[2] + m[4])
		side := min(max(min(w, h), 8), 256)
		e.Steps = []string{fmt.Sprintf("The images have different sizes. Workbench can resize every image to cover %d×%d and crop the centre.", side, side)}
		e.ActionLabel = fmt.Sprintf("Resize to %d×%d and load", side, side)
		e.OnAction = func() { p.load(spec, side) }
	}
	return e
}

// chooseFile asks for a dataset file (.zip, .npz, IDX, CIFAR-10 batch).
func (p *dataPane) chooseFile() {
	if p.s.Window == nil {
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, p.s.Window)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		p.load(path, 0)
	}, p.s.Window)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// chooseFolder asks for a dataset folder (class folders of images, IDX or
// CIFAR-10 binary files, .npy arrays).
func (p *dataPane) chooseFolder() {
	if p.s.Window == nil {
		return
	}
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			dialog.ShowError(err, p.s.Window)
			return
		}
		if u != nil {
			p.load(u.Path(), 0)
		}
	}, p.s.Window)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// loadOptions are the project's cut of its dataset.
func loadOptions(s *State, spec string, size int) data.Options {
	ref := s.Project.Dataset
	opt := data.Options{LimitTrain: ref.LimitTrain, LimitTest: ref.LimitTest, Val: ref.Val, Seed: s.Project.Hyper.Seed}
	if size > 0 {
		opt.Size = size
	} else if v := s.Project.Inspect.Numbers[sizeSetting]; v > 0 && spec == ref.Spec {
		opt.Size = int(v)
	}
	return opt
}

// load reads spec on a goroutine and, when it succeeds, makes it the
// project's dataset. size > 0 resizes every image to size×size.
func (p *dataPane) load(spec string, size int) {
	if spec == "" {
		return
	}
	opt := loadOptions(p.s, spec, size)
	var ds *data.Dataset
	err := p.job.start("Loading "+datasetTitle(spec)+"…", func(ctx context.Context, progress report) error {
		opt.Progress = func(done, total int) { progress(done, total, "") }
		var err error
		ds, err = data.Load(ctx, spec, opt)
		return err
	}, func(err error) {
		switch {
		case cancelled(err):
			p.refresh() // back to what was shown
		case err != nil:
			// The project keeps its dataset (and the panes their data);
			// the pane shows what went wrong until the next load.
			p.lastErr, p.errSpec = err, spec
			p.refresh()
		default:
			p.lastErr = nil
			setProjectDataset(p.s, spec, ds, size)
		}
	})
	if err != nil {
		p.syncChoice()
	}
}

// setProjectDataset makes ds, loaded from spec, the project's dataset: the
// project records the spec, the image shape and the classes (and is marked
// edited when they change), and every pane gets the data.
func setProjectDataset(s *State, spec string, ds *data.Dataset, size int) {
	ref := &s.Project.Dataset
	tr := ds.Train
	// Filling in a shape or classes the project did not know yet records
	// a fact, not an edit; a different dataset, shape or class list is one.
	changed := ref.Spec != spec ||
		ref.C != 0 && (ref.C != tr.C || ref.H != tr.H || ref.W != tr.W) ||
		len(ref.Classes) > 0 && !slices.Equal(ref.Classes, tr.Classes)
	ref.Spec, ref.C, ref.H, ref.W = spec, tr.C, tr.H, tr.W
	ref.Classes = slices.Clone(tr.Classes)
	if size > 0 {
		if s.Project.Inspect.Numbers == nil {
			s.Project.Inspect.Numbers = map[string]float64{}
		}
		if s.Project.Inspect.Numbers[sizeSetting] != float64(size) {
			s.Project.Inspect.Numbers[sizeSetting] = float64(size)
			changed = true
		}
	}
	s.SetDataset(ds)
	if changed {
		s.MarkDirty()
	}
}

// PrepareRender loads the project's dataset before RenderPanes takes the
// picture, so that the picture shows the data.
func (p *dataPane) PrepareRender(ctx context.Context) {
	if p.s.Dataset == nil && p.s.Project.Dataset.Spec != "" {
		p.job.sync = true
		p.load(p.spec(), 0)
		p.job.sync = false
	}
	if p.view != nil {
		select {
		case <-p.view.statsDone:
		case <-ctx.Done():
		}
	}
}

// DropDataset loads dropped files or folders that look like a dataset in
// the Data pane, and shows it; it reports whether it took them. The main
// window calls it for drops that are not project files.
func (s *State) DropDataset(uris []fyne.URI) bool {
	if len(uris) == 0 || !looksLikeDataset(uris[0].Path()) {
		return false
	}
	s.ShowPane(PaneData)
	p, ok := dataPanes[s]
	if !ok {
		return false
	}
	p.load(uris[0].Path(), 0)
	return true
}

// looksLikeDataset accepts folders and the file types data.Load reads.
func looksLikeDataset(path string) bool {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return true
	}
	name := strings.ToLower(filepath.Base(path))
	for _, ext := range []string{".zip", ".npz", ".npy", ".gz", ".bin", "-ubyte"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// minWidth gives its children at least a width.
type minWidth struct{ w float32 }

func (l *minWidth) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

func (l *minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return fyne.NewSize(max(s.Width, l.w), s.Height)
}
