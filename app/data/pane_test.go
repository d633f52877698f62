package data

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets"
)

// writeImageFolder writes class folders of PNG images; sizes[i] is the
// side of image i of each class.
func writeImageFolder(t *testing.T, classes []string, sizes []int) string {
	t.Helper()
	dir := t.TempDir()
	for ci, c := range classes {
		os.MkdirAll(filepath.Join(dir, c), 0o755)
		for i, side := range sizes {
			img := image.NewNRGBA(image.Rect(0, 0, side, side))
			for k := range img.Pix {
				img.Pix[k] = uint8(40*ci + 7*i + k%5)
			}
			for k := 3; k < len(img.Pix); k += 4 {
				img.Pix[k] = 255
			}
			f, err := os.Create(filepath.Join(dir, c, strings.Repeat("i", i+1)+".png"))
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, img)
			f.Close()
		}
	}
	return dir
}

func TestDataPaneLoadsTheSampleAndShowsItsCounts(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.Sample(t), ui.PaneData, Pane)
	p := sh.Built[ui.PaneData].(*dataPane)

	// Nothing is loaded until asked: the empty state offers the project's
	// dataset.
	es := panetest.Find[*widgets.EmptyState](p, nil)
	if len(es) != 1 || es[0].ActionLabel != "Load Bundled sample" {
		t.Fatalf("before loading the pane shows %d empty states (%+v)", len(es), es)
	}
	test.Tap(panetest.Find[*widget.Button](p, func(b *widget.Button) bool { return b.Text == "Load Bundled sample" })[0])
	p.job.Wait()

	if s.Dataset == nil || s.Dataset.Train.Len() != 6000 || s.Dataset.Test.Len() != 1000 {
		t.Fatalf("state dataset after loading: %+v", s.Dataset)
	}
	if s.Dirty() {
		t.Fatal("loading the project's own dataset marked the project edited")
	}
	v := p.view
	if v == nil {
		t.Fatal("no data view after loading")
	}
	<-v.statsDone
	got := panetest.Texts(p)
	for _, want := range []string{"6,000 train", "0 validation", "1,000 test", "10 classes", "1×28×28", "85.7%", "14.3%", "1–"} {
		if !strings.Contains(got, want) {
			t.Errorf("the pane does not show %q; it shows:\n%s", want, got)
		}
	}
	if !strings.Contains(v.meanText.Text, "Mean of the 6,000 training images") || v.mean.Image == nil {
		t.Errorf("mean image not shown: %q", v.meanText.Text)
	}
	// The grid pages through the whole training split, every class in turn.
	if n := v.grid.Length(); n != 6000 {
		t.Fatalf("grid has %d images, want 6000", n)
	}
	if first, last := v.grid.VisibleRange(); first != 0 || last == 0 || last > 200 {
		t.Fatalf("grid shows %d-%d: only the visible cells should exist", first, last)
	}
	if v.set.Labels[v.idx[0]] != 0 || v.set.Labels[v.idx[1]] != 1 {
		t.Fatalf("'All classes' should show the classes in turn; first labels %d, %d", v.set.Labels[v.idx[0]], v.set.Labels[v.idx[1]])
	}
	// Filter by class and by split.
	v.class.SetSelected("Bag")
	if v.grid.Length() != 600 {
		t.Fatalf("class Bag shows %d images, want 600", v.grid.Length())
	}
	for _, i := range v.idx {
		if v.set.Classes[v.set.Labels[i]] != "Bag" {
			t.Fatalf("class filter let %s through", v.set.Classes[v.set.Labels[i]])
		}
	}
	v.split.SetSelectedIndex(1)
	if v.set != s.Dataset.Test || v.grid.Length() != 100 {
		t.Fatalf("test split, class Bag: %d images", v.grid.Length())
	}
	// The class histogram has one series per non-empty split.
	if pv := panetest.Find[*widgets.PlotView](p, nil); len(pv) != 1 || pv[0].Plot() == nil {
		t.Fatalf("%d plot views", len(pv))
	}
}

func TestDataPaneAugmentationPreviewFollowsThePipeline(t *testing.T) {
	_, sh, _ := panetest.Open(t, panetest.Sample(t), ui.PaneData, Pane)
	p := sh.Built[ui.PaneData].(*dataPane)
	p.load("sample", 0)
	p.job.Wait()
	v := p.view
	<-v.statsDone
	pixels := func(k int) []uint8 {
		img := v.augImgs[k].Image
		switch m := img.(type) {
		case *image.Gray:
			return m.Pix
		case *image.NRGBA:
			return m.Pix
		}
		t.Fatalf("preview %d is a %T", k, img)
		return nil
	}
	v.augEntry.SetText("none")
	if string(pixels(1)) != string(pixels(0)) {
		t.Fatal("an empty pipeline changed the image")
	}
	v.augEntry.SetText("vflip:1")
	orig, flipped := v.augImgs[0].Image, v.augImgs[1].Image
	b := orig.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if orig.At(x, y) != flipped.At(x, b.Dy()-1-y) {
				t.Fatalf("vflip:1 is not the image upside down at (%d,%d)", x, y)
			}
		}
	}
	v.augEntry.SetText("crop:4,jitter")
	before := string(pixels(1))
	test.Tap(panetest.Find[*widget.Button](p, func(b *widget.Button) bool { return b.Text == "Resample" })[0])
	if string(pixels(1)) == before {
		t.Fatal("Resample drew the same augmentation")
	}
	v.augEntry.SetText("flip,wobble")
	if v.augMsg.Importance != widget.DangerImportance || !strings.Contains(v.augMsg.Text, `nknown augmentation "wobble"`) {
		t.Fatalf("a bad pipeline shows %q", v.augMsg.Text)
	}
}

func TestDataPaneSwitchesDatasetAndExplainsBadInput(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.Sample(t), ui.PaneData, Pane)
	p := sh.Built[ui.PaneData].(*dataPane)

	good := writeImageFolder(t, []string{"cats", "dogs"}, []int{8, 8, 8, 8})
	p.load(good, 0)
	p.job.Wait()
	if s.Project.Dataset.Spec != good || s.Dataset == nil || len(s.Dataset.Train.Classes) != 2 || !s.Dirty() {
		t.Fatalf("after loading a folder: spec %q, dataset %v, dirty %v", s.Project.Dataset.Spec, s.Dataset != nil, s.Dirty())
	}
	if got := p.choice.Selected; got != filepath.Base(good) {
		t.Fatalf("chooser shows %q", got)
	}

	// Images of different sizes: the message says so and offers to resize.
	mixed := writeImageFolder(t, []string{"a", "b"}, []int{12, 12, 16, 12})
	p.load(mixed, 0)
	p.job.Wait()
	if s.Project.Dataset.Spec != good {
		t.Fatalf("a failed load changed the project's dataset to %q", s.Project.Dataset.Spec)
	}
	es := panetest.Find[*widgets.EmptyState](p, nil)
	if len(es) != 1 || !strings.Contains(es[0].Description, "mixed image sizes") || es[0].ActionLabel != "Resize to 12×12 and load" {
		t.Fatalf("bad input shown as %+v", es)
	}
	test.Tap(panetest.Find[*widget.Button](p, func(b *widget.Button) bool { return b.Text == "Resize to 12×12 and load" })[0])
	p.job.Wait()
	if s.Dataset == nil || s.Dataset.Train.H != 12 || s.Project.Dataset.Spec != mixed || s.Project.Inspect.Numbers[ui.SizeSetting] != 12 {
		t.Fatalf("resized load: spec %q, numbers %v", s.Project.Dataset.Spec, s.Project.Inspect.Numbers)
	}

	// A path that is not a dataset names the problem.
	p.load(filepath.Join(t.TempDir(), "missing"), 0)
	p.job.Wait()
	es = panetest.Find[*widgets.EmptyState](p, nil)
	if len(es) != 1 || !strings.Contains(es[0].Description, "No dataset named") {
		t.Fatalf("missing path shown as %+v", es)
	}
	// Unreadable images are skipped and listed.
	broken := writeImageFolder(t, []string{"a", "b"}, []int{8, 8, 8})
	os.WriteFile(filepath.Join(broken, "a", "zz.png"), []byte("not a png"), 0o644)
	p.load(broken, 0)
	p.job.Wait()
	if got := panetest.Texts(p); !strings.Contains(got, "1 unreadable images were skipped") || !strings.Contains(got, "zz.png") {
		t.Fatalf("skipped image not listed:\n%s", got)
	}
}

func TestDataPaneCancelKeepsWhatWasShown(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.Sample(t), ui.PaneData, Pane)
	p := sh.Built[ui.PaneData].(*dataPane)
	started := make(chan struct{})
	var got error
	p.job.Start("slow", func(ctx context.Context, progress widgets.Report) error {
		close(started)
		progress(1, 10, "")
		<-ctx.Done()
		return ctx.Err()
	}, func(err error) { got = err })
	<-started
	if !p.job.Running() || !p.job.Content().Visible() {
		t.Fatal("a running job is not shown")
	}
	if err := p.job.Start("second", func(context.Context, widgets.Report) error { return nil }, nil); !errors.Is(err, widgets.ErrBusy) {
		t.Fatalf("a second job started while one runs: %v", err)
	}
	test.Tap(p.job.Stop)
	done := make(chan struct{})
	go func() { p.job.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Cancel did not stop the job")
	}
	if !widgets.Cancelled(got) || p.job.Content().Visible() || s.Dataset != nil {
		t.Fatalf("after Cancel: err %v, bar hidden %v, dataset %v", got, !p.job.Content().Visible(), s.Dataset != nil)
	}
	// A real load cancelled at once leaves the empty state.
	p.load("sample", 0)
	p.job.Cancel()
	p.job.Wait()
	if s.Dataset == nil && len(panetest.Find[*widgets.EmptyState](p, nil)) != 1 {
		t.Fatal("a cancelled load left neither data nor the empty state")
	}
}

func TestDroppingADatasetFolderLoadsItInTheDataPane(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.Sample(t), ui.PaneArchitecture, Pane)
	dir := writeImageFolder(t, []string{"x", "y"}, []int{6, 6})
	if Drop(s, []fyne.URI{storage.NewFileURI(filepath.Join(dir, "notes.txt"))}) {
		t.Fatal("a text file was taken as a dataset")
	}
	if !Drop(s, []fyne.URI{storage.NewFileURI(dir)}) {
		t.Fatal("a dropped folder was refused")
	}
	if sh.Current != ui.PaneData {
		t.Fatalf("dropping a dataset shows pane %s", sh.Current)
	}
	dataPanes[s].job.Wait()
	if s.Project.Dataset.Spec != dir || s.Dataset == nil {
		t.Fatalf("dropped folder not loaded: spec %q", s.Project.Dataset.Spec)
	}
}

func TestDataPanePreparedForRenderingShowsTheLoadedDataset(t *testing.T) {
	s, sh, w := panetest.Open(t, panetest.Sample(t), ui.PaneData, Pane)
	sh.Built[ui.PaneData].(ui.RenderPreparer).PrepareRender(context.Background())
	if s.Dataset == nil {
		t.Fatal("PrepareRender did not load the project's dataset")
	}
	img := w.Canvas().Capture()
	// The sample grid fills the left of the pane with dark thumbnails
	// (Fashion-MNIST: light clothes on black), which an empty state has not.
	sx := float64(img.Bounds().Dx()) / 1280
	dark := 0
	for y := 200.0; y < 600; y += 2 {
		for x := 240.0; x < 700; x += 2 {
			r, g, b, _ := img.At(int(x*sx), int(y*sx)).RGBA()
			if c := color.Gray16Model.Convert(color.RGBA64{uint16(r), uint16(g), uint16(b), 0xffff}).(color.Gray16); c.Y < 0x2000 {
				dark++
			}
		}
	}
	if dark < 5000 {
		t.Fatalf("the prepared Data pane shows no image grid (%d dark pixels)", dark)
	}
}
