package dream

import (
	"context"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

func TestDreamPaneAsksForATrainedModel(t *testing.T) {
	panetest.NewShell(t, panetest.Sample(t), Pane).EmptyState(t, ui.PaneDream)
}

// loaded is the pane on the trained sample with its dataset, showing test
// image 0 as the source.
func loaded(t *testing.T) (*dreamPane, *ui.State) {
	s, _, p := panetest.OpenTrained[*dreamPane](t, ui.PaneDream, Pane)
	panetest.ModelLoaded(t, &p.Base)
	s.SetDataset(panetest.SampleData(t))
	if p.src.src == nil || p.c.layer.Selected != "relu1" || len(p.c.styleLayers.items) != 1 || p.c.size.Value != 28 {
		t.Fatalf("after loading the data: source %v, layer %q, style layers %d, size %v (%q)",
			p.src.src != nil, p.c.layer.Selected, len(p.c.styleLayers.items), p.c.size.Value, p.info.Text)
	}
	return p, s
}

// runMode runs mode m with the given steps and checks that the preview
// changed as it iterated and that the scrubber spans the kept iterates.
func runMode(t *testing.T, p *dreamPane, m string, steps, wantFrames int) {
	t.Helper()
	p.mode.SetSelected(m)
	p.c.steps.SetText(strconv.Itoa(steps))
	test.Tap(p.run)
	p.job.Wait()
	v := p.view
	if len(v.frames) != wantFrames || int(v.scrub.Max)+1 != len(v.frames) {
		t.Fatalf("%s: %d iterates kept, scrubber max %v, want %d (%q)", m, len(v.frames), v.scrub.Max, wantFrames, p.info.Text)
	}
	if len(v.losses) == 0 || !strings.Contains(p.info.Text, "in ") {
		t.Fatalf("%s: %d losses plotted, %q", m, len(v.losses), p.info.Text)
	}
	last := v.pic.Image
	if !panetest.SamePixels(last, v.frames[len(v.frames)-1].img) {
		t.Fatalf("%s: the preview does not show the last iterate", m)
	}
	v.scrub.SetValue(0)
	if panetest.SamePixels(last, v.pic.Image) {
		t.Fatalf("%s: scrubbing back to the start does not change the preview", m)
	}
	v.scrub.SetValue(v.scrub.Max)
}

func TestDreamPaneRunsEveryMode(t *testing.T) {
	p, _ := loaded(t)
	p.c.size.SetValue(32)
	// DeepDream at 2 octaves of 4 steps: the start and 4 steps per octave.
	p.mode.SetSelected(modeDream)
	p.c.octaves.SetValue(2)
	runMode(t, p, modeDream, 4, 10)
	if len(p.view.losses) != 8 || !strings.Contains(p.info.Text, "energy rose") {
		t.Fatalf("dream: %d losses, %q", len(p.view.losses), p.info.Text)
	}
	runMode(t, p, modeInvert, 5, 6)
	runMode(t, p, modeTexture, 5, 6)
	if b := p.view.frames[5].img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
		t.Fatalf("texture made at %v, want 32 px", b)
	}
	// Style transfer needs a style image, then runs with L-BFGS too.
	p.mode.SetSelected(modeStyle)
	test.Tap(p.run)
	if !strings.Contains(p.info.Text, "add a style image") && !strings.Contains(p.info.Text, "Add a style image") {
		t.Fatalf("style with no style image: %q", p.info.Text)
	}
	p.index.SetText("3")
	p.styles.addTest()
	p.index.SetText("5")
	p.styles.addTest()
	p.styles.items[1].blend.SetValue(0.25)
	if b, err := p.styles.blend(); err != nil || b[0] != 0.8 || b[1] != 0.2 {
		t.Fatalf("blend weights %v, %v", b, err)
	}
	runMode(t, p, modeStyle, 4, 5)
	p.c.optimizer.SetSelected(optLBFGS)
	if p.c.lr.Text != "1" {
		t.Fatalf("L-BFGS step size %q", p.c.lr.Text)
	}
	test.Tap(p.run)
	p.job.Wait()
	if len(p.view.frames) != 5 || !strings.Contains(p.info.Text, "loss fell") {
		t.Fatalf("style with L-BFGS: %d iterates, %q", len(p.view.frames), p.info.Text)
	}
}

func TestDreamPaneCancelStopsAndExportWritesAPNG(t *testing.T) {
	p, _ := loaded(t)
	p.mode.SetSelected(modeTexture)
	p.c.steps.SetText("5000")
	test.Tap(p.run)
	test.Tap(p.job.Stop)
	p.job.Wait()
	v := p.view
	if len(v.frames) >= 5000/125+1 || !strings.HasPrefix(p.info.Text, "Cancelled") {
		t.Fatalf("cancel did not stop the run: %d iterates, %q", len(v.frames), p.info.Text)
	}
	p.c.steps.SetText("3")
	test.Tap(p.run)
	p.job.Wait()
	f, ok := v.shown()
	if !ok || v.export.Disabled() {
		t.Fatalf("nothing to export after a run (%q)", p.info.Text)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "texture.png")
	if err := os.WriteFile(path, []byte("an older file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writePNG(path, f.img); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img, format, err := image.Decode(r)
	if err != nil || format != "png" || !sameRGBA(img, f.img) {
		t.Fatalf("the exported file is not the shown iterate as a PNG: %v %q", err, format)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("export left %d files in the folder", len(ents))
	}
	if err := writePNG(filepath.Join(dir, "missing", "x.png"), f.img); err == nil {
		t.Fatalf("writing into a missing folder succeeded")
	}
}

// sameRGBA compares two images by their colours, whatever their types.
func sameRGBA(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// untrained is the sample project with its initial weights and no run.
func untrained(t *testing.T) *projects.Project {
	pr := panetest.Sample(t)
	m, err := nn.Build(pr.Graph, []int{1, 28, 28}, cpu.New(), 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	ws := map[string]projects.Tensor{}
	for k, v := range m.State() {
		ws[k] = projects.Tensor{Shape: append([]int(nil), v.Shape...), Data: append([]float32(nil), v.Data()...)}
	}
	pr.SetGroup(projects.GroupWeights, ws)
	pr.Dataset.Spec = "sample"
	pr.Dataset.C, pr.Dataset.H, pr.Dataset.W = 1, 28, 28
	return pr
}

func TestDreamPaneWarnsOfAWeakNetwork(t *testing.T) {
	_, sh, _ := panetest.Open(t, untrained(t), ui.PaneDream, Pane)
	p := sh.Built[ui.PaneDream].(*dreamPane)
	panetest.ModelLoaded(t, &p.Base)
	txt := panetest.Texts(sh.Body)
	if !p.notice.root.Visible() || !strings.Contains(txt, "too weak") || !strings.Contains(txt, "untrained") ||
		!strings.Contains(txt, "grey") {
		t.Fatalf("no untrained/grey notice for an untrained grey model:\n%s", txt)
	}
	// The trained sample is still grey, but no longer untrained; a size far
	// above its 28 px adds the upscaling reason.
	p2, _ := loaded(t)
	if kinds := noticeKinds(p2); strings.Contains(kinds, "untrained") || !strings.Contains(kinds, "grayscale") {
		t.Fatalf("trained sample: %s", kinds)
	}
	p2.c.size.SetValue(128)
	if kinds := noticeKinds(p2); !strings.Contains(kinds, "upscaled") {
		t.Fatalf("128 px on a 28 px network: %s", kinds)
	}
}

func noticeKinds(p *dreamPane) string {
	var k []string
	for _, w := range p.notice.ws {
		k = append(k, w.Kind)
	}
	return strings.Join(k, " ")
}

func TestDroppedImagesBecomeTheSourceAndStyles(t *testing.T) {
	p, s := loaded(t)
	dir := t.TempDir()
	var uris []fyne.URI
	for i, name := range []string{"a.png", "b.png", "c.png"} {
		path := filepath.Join(dir, name)
		panetest.WritePNG(t, path, panetest.SampleData(t).Test.Picture(i))
		uris = append(uris, storage.NewFileURI(path))
	}
	if Drop(s, fyne.Position{}, []fyne.URI{storage.NewFileURI(filepath.Join(dir, "x.wbproj"))}) {
		t.Fatalf("a project file was taken as an image")
	}
	if !Drop(s, fyne.Position{}, uris[:1]) || p.src.src == nil || p.src.src.name != "a.png" {
		t.Fatalf("a dropped image is not the source (%q)", p.info.Text)
	}
	// In style transfer, a drop on the style list adds styles; elsewhere
	// the first becomes the content and the others styles.
	p.mode.SetSelected(modeStyle)
	w := fyne.CurrentApp().Driver().AllWindows()[0]
	w.Resize(w.Canvas().Size().AddWidthHeight(1, 1)) // lay the style list out
	sz := p.styles.root.Size()
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(p.styles.root).AddXY(sz.Width/2, sz.Height/2)
	Drop(s, at, uris[1:2])
	if len(p.styles.items) != 1 || p.src.src.name != "a.png" {
		t.Fatalf("drop on the style list: %d styles, content %q", len(p.styles.items), p.src.src.name)
	}
	Drop(s, fyne.Position{}, uris[1:])
	if len(p.styles.items) != 2 || p.src.src.name != "b.png" || p.styles.items[1].src.name != "c.png" {
		t.Fatalf("drop elsewhere: %d styles, content %q", len(p.styles.items), p.src.src.name)
	}
}

// An imported network has no dataset: the pane offers image files only.
func TestDreamPaneWithoutADatasetOffersFilesOnly(t *testing.T) {
	pr := panetest.TrainedSample(t)
	pr.Dataset.Spec = ""
	_, sh, _ := panetest.Open(t, pr, ui.PaneDream, Pane)
	p := sh.Built[ui.PaneDream].(*dreamPane)
	panetest.ModelLoaded(t, &p.Base)
	txt := panetest.Texts(sh.Body)
	if strings.Contains(txt, "Test image #") || !strings.Contains(txt, "Image file…") {
		t.Fatalf("without a dataset the pane shows:\n%s", txt)
	}
	// Nothing says untrained: an imported model's weights were learned.
	if strings.Contains(noticeKinds(p), "untrained") {
		t.Fatalf("an imported model called untrained: %s", noticeKinds(p))
	}
	path := filepath.Join(t.TempDir(), "seven.png")
	panetest.WritePNG(t, path, panetest.SampleData(t).Test.Picture(0))
	p.openSource(path)
	p.mode.SetSelected(modeInvert)
	p.c.steps.SetText("3")
	test.Tap(p.run)
	p.job.Wait()
	if len(p.view.frames) != 4 {
		t.Fatalf("inverting a file: %d iterates (%q)", len(p.view.frames), p.info.Text)
	}
}

// The loss curve draws from its first point on, on a log axis for the
// falling losses (a single point once crashed gonum's log scale).
func TestLossPlotDrawsFromOnePoint(t *testing.T) {
	panetest.NewApp(t)
	for _, pts := range []plotter.XYs{{{X: 1, Y: 0.3}}, {{X: 1, Y: 0.3}, {X: 2, Y: 0.3}}, {{X: 1, Y: 2}, {X: 2, Y: 1e-4}}, {{X: 1, Y: 0}, {X: 2, Y: -1}}} {
		for _, rising := range []bool{false, true} {
			pl := lossPlot(pts, rising)
			if img := widgets.NewPlotView(pl).Render(320, 200, 1); img == nil {
				t.Fatalf("%v: no picture", pts)
			}
			_, log := pl.Y.Scale.(plot.LogScale)
			if want := !rising && pts[0].Y > 0 && pts[len(pts)-1].Y > 0; log != want {
				t.Errorf("%v rising %v: log axis %v", pts, rising, log)
			}
		}
	}
}

// render-panes shows a DeepDream of the first test image, computed before
// the picture is taken.
func TestPrepareRenderDreamsTheFirstTestImage(t *testing.T) {
	_, _, p := panetest.OpenTrained[*dreamPane](t, ui.PaneDream, Pane)
	p.PrepareRender(context.Background())
	if p.src.src == nil || len(p.view.frames) == 0 || p.job.Running() || !strings.Contains(p.info.Text, "energy rose") {
		t.Fatalf("after PrepareRender: source %v, %d iterates, %q", p.src.src != nil, len(p.view.frames), p.info.Text)
	}
}

// Texture with softmax-smoothed style layers runs and lowers its loss.
func TestDreamPaneSmoothedTexture(t *testing.T) {
	p, _ := loaded(t)
	p.mode.SetSelected(modeTexture)
	p.c.smooth.SetChecked(true)
	if p.c.styleW.Text != "200000" {
		t.Fatalf("smoothing's style weight %q", p.c.styleW.Text)
	}
	p.c.steps.SetText("6")
	test.Tap(p.run)
	p.job.Wait()
	if len(p.view.frames) != 7 || !strings.Contains(p.info.Text, "loss fell") {
		t.Fatalf("smoothed texture: %d iterates, %q", len(p.view.frames), p.info.Text)
	}
	p.c.smoothScale.SetText("-1")
	test.Tap(p.run)
	if !strings.Contains(p.info.Text, "Smoothing scale") || p.job.Running() {
		t.Fatalf("a negative scale: %q", p.info.Text)
	}
}
