package inspection

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

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
