package inspection

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

// Picked is an image a pane works on: pixels in [0, 1], C×H×W at the
// network's input size, a name to show and its true class (-1 for a file).
type Picked struct {
	X     []float32
	Name  string
	Label int
}

// PickTest returns test image number text of the dataset. When the dataset
// is not loaded (or does not fit) it starts loading it and returns ok
// false with no message; a bad number gives a message saying which exist.
func (b *Base) PickTest(text string) (im Picked, msg string, ok bool) {
	if !b.DataOK() {
		b.LoadData()
		return Picked{}, "", false
	}
	set := Split(b.S.Dataset, "test")
	i, err := strconv.Atoi(text)
	if err != nil || i < 0 || i >= set.Len() {
		return Picked{}, fmt.Sprintf("%q is not a test image number: use 0 to %d.", text, set.Len()-1), false
	}
	return Picked{X: set.Float(i).Pix, Name: fmt.Sprintf("test image %d", i), Label: int(set.Labels[i])}, "", true
}

// PickFile reads an image file, resized to the network's input as the
// project's preprocessing says; the error is a sentence to show.
func (b *Base) PickFile(path string) (Picked, string) {
	in := b.Model.In
	x, err := data.ReadImageFile(path, in[0], in[1], in[2], b.S.Project.Preprocess.Resize == "stretch")
	if err != nil {
		return Picked{}, widgets.FirstUpper(err.Error()) + "."
	}
	return Picked{X: x[:in[0]*in[1]*in[2]], Name: path, Label: -1}, ""
}

// ShowFileOpen asks for an image file and calls open with its path.
func (b *Base) ShowFileOpen(open func(path string)) {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		open(path)
	}, b.S.Window)
}

// PickerItems are the form rows that choose the image: a test-image number
// with its button, or an image file from the file dialog.
func PickerItems(index *widget.Entry, chooseTest, chooseFile func()) []*widget.FormItem {
	pick := widget.NewButtonWithIcon("Test image", theme.SearchIcon(), chooseTest)
	file := widget.NewButtonWithIcon("Image file…", theme.FolderOpenIcon(), chooseFile)
	return []*widget.FormItem{
		widget.NewFormItem("Test image #", container.NewBorder(nil, nil, nil, pick, index)),
		widget.NewFormItem("Or", file),
	}
}

// PathPickerItems are PickerItems with the image file's path typed into
// path (Enter opens it) beside the file dialog's button: the way to reach
// a file by its path, and to drive the pane from a script.
func PathPickerItems(index *widget.Entry, chooseTest func(), path *widget.Entry, chooseFile func()) []*widget.FormItem {
	pick := widget.NewButtonWithIcon("Test image", theme.SearchIcon(), chooseTest)
	file := widget.NewButtonWithIcon("Browse…", theme.FolderOpenIcon(), chooseFile)
	path.SetPlaceHolder("image file path, Enter opens")
	return []*widget.FormItem{
		widget.NewFormItem("Test image #", container.NewBorder(nil, nil, nil, pick, index)),
		widget.NewFormItem("Or image file", container.NewBorder(nil, nil, nil, file, path)),
	}
}

// Frame lays out a pane's body above its job bar and the dataset's, and
// keeps the pane current: a replaced project cancels both jobs, a replaced
// project or dataset forgets the last dataset error, and every change
// calls refresh.
func (b *Base) Frame(job *widgets.JobBar, body fyne.CanvasObject, refresh func()) *fyne.Container {
	root := container.NewBorder(nil, widgets.Pad(0, 4, 8, 8, container.NewVBox(job.Content(), b.DataJob.Content())), nil, nil, body)
	b.S.OnChange(func(c ui.Change) {
		if c == ui.ProjectReplaced {
			job.Cancel()
			b.DataJob.Cancel()
			b.DataErr = nil
		}
		if c == ui.DatasetChanged {
			b.DataErr = nil
		}
		refresh()
	})
	return root
}

// ChooseTest shows test image number text through use, or says in info
// why it cannot (a dataset still loading says nothing).
func (b *Base) ChooseTest(text string, info *widget.Label, use func(Picked)) {
	im, msg, ok := b.PickTest(text)
	if !ok {
		if msg != "" {
			info.SetText(msg)
		}
		return
	}
	use(im)
}

// OpenFile shows the image file at path through use, or says in info why
// it cannot.
func (b *Base) OpenFile(path string, info *widget.Label, use func(Picked)) {
	im, msg := b.PickFile(path)
	if msg != "" {
		info.SetText(msg)
		return
	}
	use(im)
}

// ClassName is class k's name in the project, or "class k".
func (b *Base) ClassName(k int) string {
	if c := b.S.Project.Dataset.Classes; k >= 0 && k < len(c) {
		return c[k]
	}
	return "class " + strconv.Itoa(k)
}

// OneImageView is what RefreshOneImage shows a one-image pane with.
type OneImageView struct {
	Body     *fyne.Container   // where the pane shows what it shows
	Main     fyne.CanvasObject // the pane's view of its image
	Command  string            // the CLI command that does the same, for the empty states
	Pane     string            // "The Saliency pane", for the request to load the data
	HasImage func() bool       // whether the pane has an image to show
	OnModel  func()            // forgets the image and takes the new model
	Choose   func()            // takes the test image the picker names
}

// RefreshOneImage follows the project's model and the dataset for a
// one-image pane: a new model calls v.OnModel; without a usable model the
// blocked empty state shows; a newly loaded dataset picks the test image;
// with no image and the project's data not loaded it asks for the data;
// otherwise v.Main shows.
func (b *Base) RefreshOneImage(v OneImageView) {
	if b.SyncModel() {
		b.shownD = nil
		v.OnModel()
	}
	if e := b.Blocked(v.Command); e != nil {
		ShowIn(v.Body, e)
		return
	}
	if b.shownD != b.S.Dataset && b.DataOK() {
		b.shownD = b.S.Dataset
		v.Choose()
	}
	if !v.HasImage() && !b.DataOK() && b.S.Project.Dataset.Spec != "" {
		ShowIn(v.Body, container.NewBorder(b.NeedData(v.Pane), nil, nil, nil, v.Main))
		return
	}
	ShowIn(v.Body, v.Main)
}

// ShowIn makes o the only object of body (nothing when it already is).
func ShowIn(body *fyne.Container, o fyne.CanvasObject) {
	if len(body.Objects) == 1 && body.Objects[0] == o {
		return
	}
	body.Objects = []fyne.CanvasObject{o}
	body.Refresh()
}
