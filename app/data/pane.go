package data

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

// Pane is the Data pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneData, Title: "Data", Icon: theme.StorageIcon(), Order: 10, New: newDataPane}

// dataPane is the Data pane: choose a dataset, load it with progress and
// Cancel, and look at it (see dataView).
type dataPane struct {
	widget.BaseWidget
	s *ui.State

	choice     *widget.Select
	choiceSpec []string // spec of each option of choice
	quiet      bool     // choice set by code: do not load
	job        *widgets.JobBar
	body       *fyne.Container
	root       fyne.CanvasObject

	view    *dataView // nil until a dataset is shown
	shown   *data.Dataset
	lastErr error  // the last load's error, shown until the next load
	errSpec string // the spec that failed
}

// dataPanes finds the Data pane of a state, for files dropped on the window.
var dataPanes = map[*ui.State]*dataPane{}

func newDataPane(s *ui.State) fyne.CanvasObject {
	p := &dataPane{s: s, job: widgets.NewJobBar()}
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
	left := container.NewHBox(label, container.New(&widgets.MinWidth{W: 200}, p.choice), openFile, openFolder, reload)
	toolbar := container.NewBorder(nil, nil, left, nil, container.New(layout.NewCustomPaddedLayout(0, 0, 12, 0), p.job.Content()))
	p.body = container.NewStack()
	p.root = container.NewBorder(
		container.NewVBox(container.New(layout.NewCustomPaddedLayout(6, 2, 8, 8), toolbar), widget.NewSeparator()),
		nil, nil, nil, p.body)

	s.OnChange(func(c ui.Change) {
		switch c {
		case ui.ProjectReplaced:
			p.job.Cancel()
			p.lastErr = nil
			p.refresh()
		case ui.DatasetChanged:
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
func (p *dataPane) spec() string { return ui.DatasetSpec(p.s) }

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
	for _, c := range ui.DataChoices {
		if strings.EqualFold(c.Spec, spec) {
			sel = len(opts)
		}
		opts, specs = append(opts, c.Title), append(specs, c.Spec)
	}
	if spec != "" && sel < 0 {
		sel = len(opts)
		opts, specs = append(opts, ui.DatasetTitle(spec)), append(specs, spec)
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
			"(or drop a folder or .zip of class folders on the window).", ui.DatasetTitle(spec))}
	}
	if cl := p.s.Project.Dataset.Classes; len(cl) > 0 {
		e.Note = fmt.Sprintf("Classes: %s.", strings.Join(cl, ", "))
	}
	e.ActionLabel = "Load " + ui.DatasetTitle(spec)
	e.OnAction = func() { p.load(spec, 0) }
	return e
}

// mixedSizes finds the first image's size in the reader's message about
// images of different sizes.
var mixedSizes = regexp.MustCompile(`mixed image sizes: the first image is (\d+)x(\d+)|images are (\d+)x(\d+) but`)

func (p *dataPane) errorState() fyne.CanvasObject {
	err := p.lastErr
	e := widgets.NewEmptyState(theme.ErrorIcon(), "Cannot load "+ui.DatasetTitle(p.errSpec), widgets.FirstUpper(err.Error())+".")
	e.Description = strings.TrimSuffix(e.Description, "..") // messages may end with a full stop
	switch {
	case errors.Is(err, data.ErrBadInput):
		e.Steps = []string{"Fix the data as the message says, or choose another dataset above."}
		if p.s.Dataset != nil {
			e.Steps[0] += " The project still uses " + ui.DatasetTitle(p.s.Project.Dataset.Spec) + "."
		}
	default:
		e.Steps = []string{"The files could not be read. Check that they exist and are readable, then try again."}
	}
	e.ActionLabel = "Try again"
	spec := p.errSpec
	e.OnAction = func() { p.load(spec, 0) }
	if p.s.Dataset != nil {
		e.ActionLabel = "Back to " + ui.DatasetTitle(p.s.Project.Dataset.Spec)
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

// load reads spec on a goroutine and, when it succeeds, makes it the
// project's dataset. size > 0 resizes every image to size×size.
func (p *dataPane) load(spec string, size int) {
	if spec == "" {
		return
	}
	err := ui.LoadDataset(p.s, p.job, spec, size, func(err error) {
		switch {
		case widgets.Cancelled(err):
			p.refresh() // back to what was shown
		case err != nil:
			// The project keeps its dataset (and the panes their data);
			// the pane shows what went wrong until the next load.
			p.lastErr, p.errSpec = err, spec
			p.refresh()
		}
	})
	if err != nil {
		p.syncChoice()
	}
}

// PrepareRender loads the project's dataset before RenderPanes takes the
// picture, so that the picture shows the data.
func (p *dataPane) PrepareRender(ctx context.Context) {
	if p.s.Dataset == nil && p.s.Project.Dataset.Spec != "" {
		p.job.Sync = true
		p.load(p.spec(), 0)
		p.job.Sync = false
	}
	if p.view != nil {
		select {
		case <-p.view.statsDone:
		case <-ctx.Done():
		}
	}
}

// Drop loads dropped files or folders that look like a dataset in the
// Data pane, and shows it; it reports whether it took them. The main
// window calls it for drops that are not project files.
func Drop(s *ui.State, uris []fyne.URI) bool {
	if len(uris) == 0 || !looksLikeDataset(uris[0].Path()) {
		return false
	}
	s.ShowPane(ui.PaneData)
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
