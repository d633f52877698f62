package classic

import (
	"context"
	"image"
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets"
)

// classicWithData shows the Classic pane with the sample dataset loaded.
func classicWithData(t *testing.T) (*ui.State, *classicPane) {
	s, sh, _ := panetest.Open(t, panetest.Sample(t), ui.PaneClassic, Pane)
	s.SetDataset(panetest.SampleData(t))
	return s, sh.Built[ui.PaneClassic].(*classicPane)
}

func TestClassicPaneAsksForTheDatasetAndLoadsIt(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.Sample(t), ui.PaneClassic, Pane)
	p := sh.Built[ui.PaneClassic].(*classicPane)
	es := panetest.Find[*widgets.EmptyState](p, nil)
	if len(es) != 1 || es[0].ActionLabel != "Load Bundled sample" {
		t.Fatalf("without data the pane shows %+v", es)
	}
	buttons := panetest.Find[*widget.Button](p, func(b *widget.Button) bool { return b.Text == "Load Bundled sample" })
	buttons[0].OnTapped()
	p.job.Wait()
	if s.Dataset == nil || len(panetest.Find[*widgets.EmptyState](p, nil)) != 0 {
		t.Fatal("after loading, the pane still asks for data")
	}
	// The tabs that need data now show their forms.
	p.tabs.SelectIndex(1)
	if len(panetest.Find[*widget.Form](p, nil)) != 1 {
		t.Fatal("the k-NN tab shows no form once data is loaded")
	}
}

func TestClassicKNNRunsOnATinySubsetAndPlotsTheCrossValidation(t *testing.T) {
	_, p := classicWithData(t)
	k := p.knn
	k.nTrain.SetText("200")
	k.nTest.SetText("40")
	k.folds.SetText("4")
	k.ks.SetText("5, 1, 3")
	k.run()
	k.job.Wait()
	r := k.result
	if r == nil {
		t.Fatalf("no result; message %q", k.msg.Text)
	}
	if len(r.cv) != 3 || r.cv[0].K != 1 || r.cv[2].K != 5 {
		t.Fatalf("cross-validated k %+v", r.cv)
	}
	for _, c := range r.cv {
		if len(c.Folds) != 4 || c.Mean <= 0.1 || c.Mean > 1 {
			t.Fatalf("k=%d: folds %v mean %v", c.K, c.Folds, c.Mean)
		}
	}
	if r.trainN != 200 || r.testN != 40 || r.testAcc < 0.3 {
		t.Fatalf("train %d test %d acc %.3f", r.trainN, r.testN, r.testAcc)
	}
	// The plot appears and draws something.
	if k.plot.Plot() == nil {
		t.Fatal("no cross-validation plot")
	}
	if img := k.plot.Render(400, 300, 1); distinctColours(img) < 10 {
		t.Fatal("the cross-validation plot draws nothing")
	}
	if n := len(panetest.Find[*widgets.PlotView](p.overview.Content, nil)); n != 1 {
		t.Fatalf("the overview shows %d plots, want the cross-validation plot", n)
	}
	if len(p.results) != 1 || !strings.HasPrefix(p.results[0].method, "k-NN") {
		t.Fatalf("results %+v", p.results)
	}
	if !strings.Contains(k.msg.Text, "best k = ") {
		t.Fatalf("message %q", k.msg.Text)
	}
}

func distinctColours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

func TestClassicKNNRejectsBadSettingsAndCancels(t *testing.T) {
	_, p := classicWithData(t)
	k := p.knn
	k.ks.SetText("1,x")
	k.run()
	if k.job.Running() || !strings.Contains(k.msg.Text, `"x" is not a positive whole number`) {
		t.Fatalf("bad k list: running %v, message %q", k.job.Running(), k.msg.Text)
	}
	k.ks.SetText("1,3")
	k.nTrain.SetText("20")
	k.folds.SetText("5")
	k.ks.SetText("1,30")
	k.run()
	if k.job.Running() || !strings.Contains(k.msg.Text, "largest k, 30, is more than the 16 training images of a fold") {
		t.Fatalf("k too large: %q", k.msg.Text)
	}
	// Cancel right after starting: the run stops, nothing is shown, and
	// the button works again.
	k.ks.SetText("1,3,5")
	k.nTrain.SetText("3000")
	k.nTest.SetText("500")
	k.run()
	if !k.job.Running() || !k.runBtn.Disabled() {
		t.Fatal("the run did not start")
	}
	k.job.Cancel()
	k.job.Wait()
	if k.result != nil || k.msg.Text != "Cancelled." || k.runBtn.Disabled() || k.job.Content().Visible() {
		t.Fatalf("after Cancel: result %v, message %q, button disabled %v", k.result != nil, k.msg.Text, k.runBtn.Disabled())
	}
}

func TestClassicLinearSearchFillsTheTableAndTemplates(t *testing.T) {
	_, p := classicWithData(t)
	l := p.linear
	l.nTrain.SetText("300")
	l.nVal.SetText("100")
	l.search.SetText("3")
	l.iters.SetText("60")
	l.loss.SetSelected("Softmax")
	l.run()
	l.job.Wait()
	r := l.result
	if r == nil {
		t.Fatalf("no result: %q", l.msg.Text)
	}
	if len(l.rows) != 3 || len(r.templates) != 10 || r.templates[0].Bounds().Dx() != 28 {
		t.Fatalf("%d rows, %d templates", len(l.rows), len(r.templates))
	}
	if r.best.ValAcc < 0.3 || r.testAcc < 0.3 {
		t.Fatalf("softmax on the sample: val %.3f test %.3f", r.best.ValAcc, r.testAcc)
	}
	// Sorted by validation accuracy, best first; a header tap sorts by the
	// learning rate, a second reverses.
	if l.rows[0].ValAcc < l.rows[2].ValAcc {
		t.Fatal("table not sorted by validation accuracy")
	}
	l.sortBy(0)
	if !(l.rows[0].LR <= l.rows[1].LR && l.rows[1].LR <= l.rows[2].LR) {
		t.Fatalf("not sorted by learning rate: %v %v %v", l.rows[0].LR, l.rows[1].LR, l.rows[2].LR)
	}
	l.sortBy(0)
	if l.rows[0].LR < l.rows[2].LR {
		t.Fatal("a second tap did not reverse the order")
	}
	// Templates appear in the tab and the overview.
	if len(p.results) != 1 || p.results[0].method != "Softmax" {
		t.Fatalf("results %+v", p.results)
	}
	// Features that are not images have no templates.
	l.features.SetSelected("hog")
	l.run()
	l.job.Wait()
	if l.result == nil || l.result.templates != nil || !strings.Contains(panetest.Texts(l.templates), "Train on raw pixels") {
		t.Fatalf("hog run: %+v", l.result)
	}
}

func TestClassicTwoLayerNetTrainsOnFeatures(t *testing.T) {
	_, p := classicWithData(t)
	n := p.net
	n.input.SetSelected("hog+hist")
	n.nTrain.SetText("400")
	n.nVal.SetText("100")
	n.epochs.SetText("2")
	n.batch.SetText("50")
	n.lr.SetText("0.003")
	n.run()
	n.job.Wait()
	if len(n.history) != 2 || n.plot.Plot() == nil {
		t.Fatalf("history %d epochs; message %q", len(n.history), n.msg.Text)
	}
	if !strings.Contains(n.msg.Text, "test ") || n.history[1].ValAcc < 0.3 {
		t.Fatalf("message %q, val acc %.3f", n.msg.Text, n.history[1].ValAcc)
	}
	if len(p.results) != 1 || p.results[0].input != "hog+hist" {
		t.Fatalf("results %+v", p.results)
	}
}

func TestClassicFeaturesDrawHOGAndHueHistogram(t *testing.T) {
	_, p := classicWithData(t)
	f := p.features
	f.index.SetText("7")
	f.show()
	img, ok := f.hog.Image.(*image.Gray)
	if !ok {
		t.Fatalf("HOG picture is %T", f.hog.Image)
	}
	// 28x28 images have 3x3 cells of 8 pixels, drawn 48 pixels each.
	if img.Bounds().Dx() != 144 || img.Bounds().Dy() != 144 {
		t.Fatalf("HOG picture %v", img.Bounds())
	}
	lit := 0
	for _, v := range img.Pix {
		if v > 64 {
			lit++
		}
	}
	if lit < 100 {
		t.Fatalf("HOG picture has %d lit pixels", lit)
	}
	if f.hist.Plot() == nil || !strings.Contains(f.info.Text, "Test image 7") {
		t.Fatalf("hue histogram or caption missing: %q", f.info.Text)
	}
	f.index.SetText("99999")
	f.show()
	if !strings.Contains(f.info.Text, "must be between 0 and 999") {
		t.Fatalf("bad index shown as %q", f.info.Text)
	}
}

func TestHOGGlyphsDrawTheEdgeDirection(t *testing.T) {
	// A cell whose only gradients are near horizontal (bin 0, 0-20°) has a
	// near-vertical edge: the glyph is a tall, thin line; bin 4 (80-100°,
	// vertical gradients) draws a wide, flat one.
	extent := func(bin int) (w, h int) {
		hist := make([]float32, 9)
		hist[bin] = 1
		img := hogGlyphs(hist, 1, 1, 9, 40).(*image.Gray)
		x0, x1, y0, y1 := 40, -1, 40, -1
		for y := 0; y < 40; y++ {
			for x := 0; x < 40; x++ {
				if img.GrayAt(x, y).Y > 100 {
					x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
				}
			}
		}
		return x1 - x0 + 1, y1 - y0 + 1
	}
	if w, h := extent(0); h < 30 || w > 10 {
		t.Fatalf("bin 0 glyph is %dx%d, want tall and thin", w, h)
	}
	if w, h := extent(4); w < 30 || h > 4 {
		t.Fatalf("bin 4 glyph is %dx%d, want wide and flat", w, h)
	}
}

func TestClassicPaneRendersCrossValidationAndTemplates(t *testing.T) {
	s, p := classicWithData(t)
	p.PrepareRender(context.Background())
	if p.knn.result == nil || p.linear.result == nil || p.linear.result.templates == nil {
		t.Fatalf("render preparation left k-NN %v, linear %v", p.knn.result != nil, p.linear.result != nil)
	}
	if p.tabs.Selected() != p.overview || len(panetest.Find[*widgets.PlotView](p.overview.Content, nil)) != 1 {
		t.Fatal("the overview with the cross-validation plot is not in front")
	}
	if s.Dirty() {
		t.Fatal("rendering edited the project")
	}
}
