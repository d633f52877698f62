package embeddings

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets"
)

func TestEmbeddingsPaneRunsTSNEAndPCAWithMeasuresAndExports(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.TrainedSample(t), ui.PaneEmbeddings, Pane)
	p := sh.Built[ui.PaneEmbeddings].(*embeddingsPane)
	if len(panetest.Find[*widget.Button](p.root, func(b *widget.Button) bool { return b.Text == "Load Bundled sample" })) != 1 {
		t.Fatalf("without data the pane asks to load it: %q", panetest.Texts(p.root))
	}
	s.SetDataset(panetest.SampleData(t))
	if !strings.HasPrefix(p.layer.Selected, "relu3 · ") || p.method.Selected != embedTSNE {
		t.Fatalf("defaults: layer %q method %q", p.layer.Selected, p.method.Selected)
	}
	p.points.SetText("300")
	p.iters.SetText("300")
	p.start()
	p.job.Wait()
	if p.msg.Visible() {
		t.Fatalf("t-SNE failed: %s", p.msg.Text)
	}
	r := p.res
	if r == nil || r.set.Len() != 300 || p.scatter.Len() != 300 || r.iterations != 300 || r.grid == nil || r.cols != 17 {
		t.Fatalf("result %+v, scatter %d points", r, p.scatter.Len())
	}
	// The classes separate in the map about as well as in the features.
	if r.knn2D < 0.5 || r.knnFeatures < 0.5 || r.knn2D < r.knnFeatures-0.15 {
		t.Fatalf("10-NN accuracy %.3f in 2-D, %.3f in the features", r.knn2D, r.knnFeatures)
	}
	if p.fig2D.Value() == "–" || !strings.HasSuffix(p.fig2D.Value(), "%") || p.figFit.Caption() != "KL divergence" ||
		!strings.Contains(p.figFeat.Caption(), "128-D") || len(p.legend.Objects) != 11 {
		t.Fatalf("figures %q %q %q, legend %d rows", p.fig2D.Value(), p.figFit.Caption(), p.figFeat.Caption(), len(p.legend.Objects))
	}
	if p.exportCSV.Disabled() || p.exportScat.Disabled() || p.exportGrid.Disabled() {
		t.Fatalf("exports disabled after a run")
	}
	var csv bytes.Buffer
	if err := r.writeCSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 301 || !strings.HasPrefix(lines[0], "index,x,y,label,class") {
		t.Fatalf("CSV: %d lines, header %q", len(lines), lines[0])
	}
	var pic bytes.Buffer
	if err := writePNGTo(&pic, p.scatter.Picture(2, nil)); err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(&pic); err != nil || img.Bounds().Dx() != int(2*p.scatter.Size().Width) {
		t.Fatalf("scatter PNG: %v %v", err, img)
	}

	// Hovering a point shows its image; a region lists its images.
	first := p.scatter.PointPosition(0)
	p.scatter.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: first}})
	if p.scatter.Hovered() != 0 {
		t.Fatalf("hovering point 0 at %v hovers %d", first, p.scatter.Hovered())
	}
	all := p.scatter.InBox(fyne.NewPos(0, 0), fyne.NewPos(p.scatter.Size().Width/2, p.scatter.Size().Height))
	p.scatter.Select(all)
	p.selected(all)
	if !p.selPanel.Visible() || !strings.Contains(p.selLabel.Text, widgets.Thousands(len(all))+" images selected: ") || p.selGrid.Length() != len(all) {
		t.Fatalf("selection of %d: panel %v, %q", len(all), p.selPanel.Visible(), p.selLabel.Text)
	}

	// PCA keeps its variance share instead of a divergence.
	p.method.SetSelected(embedPCA)
	if !p.perplexity.Disabled() {
		t.Fatalf("t-SNE settings stay enabled for PCA")
	}
	p.start()
	p.job.Wait()
	if p.res == r || p.res.settings.method != embedPCA || p.figFit.Caption() != "variance kept by 2 components" || p.selPanel.Visible() {
		t.Fatalf("PCA: caption %q, selection shown %v", p.figFit.Caption(), p.selPanel.Visible())
	}
}

func TestEmbeddingsPaneRefusesBadSettings(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.TrainedSample(t), ui.PaneEmbeddings, Pane)
	s.SetDataset(panetest.SampleData(t))
	p := sh.Built[ui.PaneEmbeddings].(*embeddingsPane)
	for _, tc := range []struct {
		field      *widget.Entry
		text, want string
	}{
		{p.lr, "fast", `Learning rate: "fast" is neither "auto" nor a positive number`},
		{p.points.Entry, "20000", "Points must be between 10 and 10,000"},
		{p.perplexity.Entry, "0", "Perplexity must be between 1 and 200"},
	} {
		old := tc.field.Text
		tc.field.SetText(tc.text)
		p.start()
		if p.job.Running() || !p.msg.Visible() || !strings.Contains(p.msg.Text, tc.want) {
			t.Errorf("%s: message %q, want %q", tc.text, p.msg.Text, tc.want)
		}
		tc.field.SetText(old)
	}
	// A perplexity as large as the points is explained by the run.
	p.points.SetText("20")
	p.perplexity.SetText("30")
	p.start()
	p.job.Wait()
	if !strings.Contains(p.msg.Text, "perplexity (30) must be less than the number of points") {
		t.Fatalf("perplexity 30 for 20 points: %q", p.msg.Text)
	}
}

func TestTSNECanBeCancelledWhileTheUIStaysResponsive(t *testing.T) {
	s, sh, _ := panetest.Open(t, panetest.TrainedSample(t), ui.PaneEmbeddings, Pane)
	s.SetDataset(panetest.SampleData(t))
	p := sh.Built[ui.PaneEmbeddings].(*embeddingsPane)
	p.split.SetSelected("Training")
	p.points.SetText("1500")
	p.iters.SetText("10000")
	var started time.Time
	fyne.DoAndWait(func() {
		started = time.Now()
		p.start()
	})
	// start returned while the job runs: the work is on another goroutine.
	if !p.job.Running() {
		t.Fatalf("the t-SNE job is not running after start returned (in %v)", time.Since(started))
	}
	// The layout is shown live while it optimises, and the UI answers.
	panetest.Eventually(t, "a live layout", func() bool {
		p.liveMu.Lock()
		defer p.liveMu.Unlock()
		return p.liveShown >= 2
	})
	fyne.DoAndWait(func() {
		if p.scatter.Len() != 1500 || !strings.Contains(p.scatterHd.Text, "optimising") {
			t.Errorf("live scatter: %d points, %q", p.scatter.Len(), p.scatterHd.Text)
		}
		p.scatter.ZoomAt(2, fyne.NewPos(100, 100))
		p.points.SetText("1000")
	})
	fyne.DoAndWait(func() { p.job.Cancel() })
	p.job.Wait()
	if p.job.Running() || p.res == nil || !p.res.cancelled || !strings.Contains(p.msg.Text, "Cancelled after") || p.run.Disabled() {
		t.Fatalf("after Cancel: running %v, result %v, message %q", p.job.Running(), p.res != nil, p.msg.Text)
	}
	if p.res.iterations >= 10000 || p.scatter.Len() != 1500 {
		t.Fatalf("cancelled run went %d iterations, shows %d points", p.res.iterations, p.scatter.Len())
	}
}

func TestRenderPreparesTheEmbeddingsPaneWithResults(t *testing.T) {
	_, sh, _ := panetest.Open(t, panetest.TrainedSample(t), ui.PaneEmbeddings, Pane)
	ep := sh.Built[ui.PaneEmbeddings].(*embeddingsPane)
	ep.iters.SetText("250")
	ep.PrepareRender(context.Background())
	// The sample's test split has fewer than 1,500 images: all are embedded.
	if ep.res == nil || ep.res.set.Len() != panetest.SampleData(t).Test.Len() || ep.grid.Image() == nil || ep.res.settings.method != embedTSNE {
		t.Fatalf("Embeddings pane prepared without a t-SNE result: %v", ep.msg.Text)
	}
}
