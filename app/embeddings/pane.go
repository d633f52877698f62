package embeddings

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
	"github.com/workbench-cv/workbench/widgets/scatter"
)

// Pane is this pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneEmbeddings, Title: "Embeddings", Icon: theme.SearchIcon(), Order: 60, New: newEmbeddingsPane}

// embeddingsPane is the Embeddings pane: a layer's features of up to
// 10,000 images mapped to two dimensions by PCA or t-SNE. t-SNE runs on a
// goroutine with progress and Cancel, the scatter following its layout as
// it optimises; the scatter (hover for the image, zoom, pan, select a
// region to list its images) sits beside the course's image grid, with
// the embedding's 10-NN accuracy against the features' own.
type embeddingsPane struct {
	widget.BaseWidget
	inspection.Base

	body *fyne.Container
	root fyne.CanvasObject
	main fyne.CanvasObject
	job  *widgets.JobBar

	layer      *widget.Select
	layers     []inspection.Layer
	split      *widget.Select
	points     *widgets.IntField
	method     *widget.Select
	perplexity *widgets.FloatField
	lr         *widget.Entry
	iters      *widgets.IntField
	exag       *widgets.FloatField
	seed       *widgets.IntField
	tsneFields []fyne.Disableable
	run        *widget.Button
	msg        *widget.Label

	scatter    *scatter.Scatter
	scatterHd  *widget.Label
	mode       *widget.Check
	grid       *widgets.ZoomView
	gridBox    *fyne.Container
	gridHd     *widget.Label
	legend     *fyne.Container
	fig2D      *widgets.Figure
	figFeat    *widgets.Figure
	figFit     *widgets.Figure
	figInfo    *widgets.Figure
	exportCSV  *widget.Button
	exportScat *widget.Button
	exportGrid *widget.Button
	selPanel   *fyne.Container
	selLabel   *widget.Label
	selGrid    *widgets.ImageGrid
	selIdx     []int
	center     *fyne.Container // the views, with the selection below

	shownDS *data.Dataset
	res     *embedResult
	shown   *data.Set // the images the scatter shows, point i is image i
	// runID tells a run's late live layouts from the current run's.
	runID int
	// liveShown counts the live layouts shown during runs.
	liveMu    sync.Mutex
	liveShown int
	// replay is the map over a run's snapshots (replay.go).
	replay replayControls
}

const embeddingsAbout = "Map the network's feature space: the nearest neighbours of an image by its features, and " +
	"a t-SNE or PCA scatter of a layer's features drawn with image thumbnails, coloured by class."

func newEmbeddingsPane(s *ui.State) fyne.CanvasObject {
	p := &embeddingsPane{Base: inspection.Base{S: s, Title: "Embeddings", Icon: theme.SearchIcon(),
		About: embeddingsAbout, DataJob: widgets.NewJobBar()}, job: widgets.NewJobBar()}
	p.Base.OnLoaded = func() { p.shownDS = nil; p.refresh() }
	p.ExtendBaseWidget(p)
	p.build()
	s.OnChange(func(c ui.Change) {
		switch c {
		case ui.ProjectReplaced:
			p.job.Cancel()
			p.DataJob.Cancel()
			p.DataErr = nil
			p.refresh()
		case ui.ProjectEdited, ui.ProjectSaved:
			p.refresh()
		case ui.DatasetChanged:
			p.DataErr = nil
			p.refresh()
		}
	})
	p.refresh()
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *embeddingsPane) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.root)
}

func (p *embeddingsPane) build() {
	p.layer = widget.NewSelect(nil, nil)
	p.split = widget.NewSelect([]string{"Test", "Training"}, nil)
	p.split.SetSelected("Test")
	p.points = widgets.NewIntField("Points", 2000, 10, 10000)
	p.method = widget.NewSelect([]string{embedTSNE, embedPCA}, func(m string) {
		for _, f := range p.tsneFields {
			if m == embedPCA {
				f.Disable()
			} else {
				f.Enable()
			}
		}
	})
	p.perplexity = widgets.NewFloatField("Perplexity", 30, 1, 200)
	p.lr = widget.NewEntry()
	p.lr.SetText("auto")
	p.iters = widgets.NewIntField("Iterations", 1000, 250, 10000)
	p.exag = widgets.NewFloatField("Early exaggeration", 12, 1, 100)
	p.seed = widgets.NewIntField("Seed", 1, 0, math.MaxInt32)
	p.tsneFields = []fyne.Disableable{p.perplexity, p.lr, p.iters, p.exag}
	p.method.SetSelected(embedTSNE)
	p.run = widget.NewButtonWithIcon("Embed", theme.MediaPlayIcon(), p.start)
	p.run.Importance = widget.HighImportance
	p.msg = widget.NewLabel("")
	p.msg.Wrapping = fyne.TextWrapWord
	p.msg.Hide()
	p.buildReplay()

	settings := func(content fyne.CanvasObject) fyne.CanvasObject {
		return widgets.WithBar(widgets.WithBar(content,
			widgets.Labelled("Perplexity", p.perplexity.Entry, 56), widgets.Labelled("Learning rate", p.lr, 64),
			widgets.Labelled("Iterations", p.iters.Entry, 66), widgets.Labelled("Exaggeration", p.exag.Entry, 50), widgets.Labelled("Seed", p.seed.Entry, 56)),
			widgets.Labelled("Layer", p.layer, 150), container.New(&widgets.MinWidth{W: 110}, p.split),
			widgets.Labelled("Points", p.points.Entry, 70), container.New(&widgets.MinWidth{W: 96}, p.method), p.run, p.replay.button)
	}

	// The scatter.
	p.scatter = scatter.New()
	p.scatter.OnSelected = p.selected
	p.scatter.OnTapped = func(i int) {
		p.scatter.Select([]int{i})
		p.selected([]int{i})
	}
	p.scatterHd = widget.NewLabelWithStyle("Scatter", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.scatterHd.Truncation = fyne.TextTruncateEllipsis
	p.mode = widget.NewCheck("Select", func(on bool) {
		if on {
			p.scatter.Mode = scatter.ModeSelect
		} else {
			p.scatter.Mode = scatter.ModePan
		}
	})
	fit := widget.NewButtonWithIcon("Fit", theme.ZoomFitIcon(), p.scatter.ResetView)
	p.exportScat = widget.NewButtonWithIcon("PNG", theme.DownloadIcon(), func() {
		p.save("embedding-scatter.png", ".png", func(w *bytes.Buffer) error {
			return writePNGTo(w, p.scatter.Picture(2, color.White))
		})
	})
	hint := widget.NewLabel("wheel: zoom · drag: pan · Shift-drag: select · double-click: fit")
	hint.SizeName = theme.SizeNameCaptionText
	hint.Importance = widget.LowImportance
	hint.Truncation = fyne.TextTruncateEllipsis
	tools := container.NewBorder(nil, nil, container.NewHBox(p.mode, fit), nil, hint)
	scatterCard := widgets.HeadCard(p.scatterHd, p.exportScat, container.NewBorder(nil, tools, nil, nil, p.scatter))

	// The image grid.
	p.grid = widgets.NewZoomView()
	p.gridBox = container.NewStack(p.grid)
	p.gridHd = widget.NewLabelWithStyle("Image grid", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.gridHd.Truncation = fyne.TextTruncateEllipsis
	p.exportGrid = widget.NewButtonWithIcon("PNG", theme.DownloadIcon(), func() {
		p.save("embedding-grid.png", ".png", func(w *bytes.Buffer) error { return writePNGTo(w, p.grid.Image()) })
	})
	gridZoom := widget.NewSelect(widgets.ZoomChoices[:4], func(z string) { p.grid.SetZoom(widgets.ZoomFactor(z)) })
	gridZoom.SetSelected("Fit")
	gridFoot := container.NewBorder(nil, nil, container.NewHBox(widget.NewLabel("Zoom"), gridZoom), nil)
	gridCard := widgets.HeadCard(p.gridHd, p.exportGrid, container.NewBorder(nil, gridFoot, nil, nil, p.gridBox))
	views := container.NewHSplit(scatterCard, gridCard)
	views.SetOffset(0.56)

	// The figures and the legend.
	p.fig2D = widgets.NewFigure("10-NN accuracy in the map")
	p.figFeat = widgets.NewFigure("10-NN accuracy in the features")
	p.figFit = widgets.NewFigure("KL divergence")
	p.figInfo = widgets.NewFigure("time")
	p.exportCSV = widget.NewButtonWithIcon("Coordinates (CSV)", theme.DocumentSaveIcon(), func() {
		p.save("embedding.csv", ".csv", func(w *bytes.Buffer) error { return p.res.writeCSV(w) })
	})
	p.legend = container.New(&widgets.Rows{Gap: 2})
	figures := container.NewVBox(p.fig2D.Content(), p.figFeat.Content(), p.figFit.Content(), p.figInfo.Content(), p.exportCSV)
	right := container.New(&widgets.MinWidth{W: 196}, container.NewBorder(figures, nil, nil, nil,
		container.NewVScroll(p.legend)))

	// The selection.
	p.selLabel = widget.NewLabel("")
	p.selLabel.Truncation = fyne.TextTruncateEllipsis
	p.selGrid = widgets.NewImageGrid(func() int { return len(p.selIdx) },
		func(i int) image.Image { return p.shown.Picture(p.selIdx[i]) }, nil)
	p.selGrid.ThumbSize = 40
	clearSel := widget.NewButtonWithIcon("Clear", theme.ContentClearIcon(), func() {
		p.scatter.Select(nil)
		p.selected(nil)
	})
	selHead := container.NewBorder(nil, nil, nil, clearSel, p.selLabel)
	p.selPanel = container.NewBorder(selHead, nil, nil, nil, container.New(&widgets.MinHeight{H: 104}, p.selGrid))
	p.selPanel.Hide()

	p.center = container.NewBorder(container.NewVBox(p.job.Content(), p.msg, p.replay.box), p.selPanel, nil, widgets.Pad(0, 0, 6, 0, right), views)
	p.main = widgets.Pad(6, 4, 6, 6, settings(widgets.Pad(4, 0, 0, 0, p.center)))
	p.body = container.NewStack()
	p.root = container.NewBorder(nil, widgets.Pad(0, 4, 8, 8, p.DataJob.Content()), nil, nil, p.body)
	p.clearResult()
}

// refresh follows the project's model and the dataset.
func (p *embeddingsPane) refresh() {
	if p.SyncModel() && p.Model != nil {
		p.setModel(p.Model)
	}
	if e := p.Blocked("workbench tsne --project " + ui.ProjectArg(p.S) + " --layer " + ui.LastHidden(p.S) +
		" --data " + ui.ShellQuote(ui.DatasetSpec(p.S)) + " --png tsne.png"); e != nil {
		p.setBody(e)
		return
	}
	if p.shownDS != p.S.Dataset || p.S.Dataset == nil {
		p.shownDS = p.S.Dataset
		p.job.Cancel()
		p.clearResult()
	}
	if !p.DataOK() {
		p.setBody(widgets.Pad(6, 4, 6, 6, widgets.CardWith("Embeddings", nil, p.NeedData("The embedding"))))
		return
	}
	p.restore()
	p.refreshReplay()
	p.setBody(p.main)
}

func (p *embeddingsPane) setBody(o fyne.CanvasObject) {
	if len(p.body.Objects) == 1 && p.body.Objects[0] == o {
		return
	}
	p.body.Objects = []fyne.CanvasObject{o}
	p.body.Refresh()
}

func (p *embeddingsPane) setModel(m *inspection.Model) {
	p.layers = m.Layers()
	names, def := m.LayerChoices()
	p.layer.Options = names
	p.layer.SetSelected(def)
	p.job.Cancel()
	p.clearResult()
}

// settings reads the controls.
func (p *embeddingsPane) settings() (embedSettings, error) {
	li := p.layer.SelectedIndex()
	if li < 0 || li >= len(p.layers) {
		return embedSettings{}, fmt.Errorf("choose a layer")
	}
	cfg := embedSettings{layer: p.layers[li].ID, split: inspection.SplitKey(p.split.Selected), method: p.method.Selected}
	var err error
	if cfg.points, err = p.points.Value(); err != nil {
		return cfg, err
	}
	seed, err := p.seed.Value()
	if err != nil {
		return cfg, err
	}
	cfg.seed = int64(seed)
	if cfg.method == embedPCA {
		return cfg, nil
	}
	if cfg.tsne.Perplexity, err = p.perplexity.Value(); err != nil {
		return cfg, err
	}
	if cfg.tsne.Iterations, err = p.iters.Value(); err != nil {
		return cfg, err
	}
	if cfg.tsne.EarlyExaggeration, err = p.exag.Value(); err != nil {
		return cfg, err
	}
	if lr := strings.TrimSpace(p.lr.Text); lr != "" && !strings.EqualFold(lr, "auto") {
		v, err := strconv.ParseFloat(lr, 64)
		if err != nil || !(v > 0) || v > 1e5 {
			return cfg, fmt.Errorf("learning rate: %q is neither \"auto\" nor a positive number up to 100000", lr)
		}
		cfg.tsne.LearningRate = v
	}
	cfg.tsne.ExaggerationIters = min(250, cfg.tsne.Iterations/4)
	return cfg, nil
}

// start runs the embedding on a goroutine; t-SNE's layout is shown as it
// moves, at most ten times a second.
func (p *embeddingsPane) start() {
	if p.Model == nil || !p.DataOK() || p.job.Running() {
		return
	}
	cfg, err := p.settings()
	if err != nil {
		p.showMessage(err)
		return
	}
	p.showMessage(nil)
	p.runID++
	p.replay.steps = nil // a new map is not one of the replay's
	p.replay.box.Hide()
	id, m, ds, sync := p.runID, p.Model, p.S.Dataset, p.Sync
	var res *embedResult
	var last time.Time
	p.run.Disable()
	p.job.Sync = sync
	what := fmt.Sprintf("%s of %s…", cfg.method, cfg.layer)
	err = p.job.Start(what, func(ctx context.Context, progress widgets.Report) error {
		var err error
		set := embedImages(ds, cfg)
		res, err = runEmbedding(ctx, m, set, cfg, func(phase string, done, total int, layout []float64) {
			progress(done, total, phase)
			if layout == nil || sync || time.Since(last) < 100*time.Millisecond {
				return
			}
			last = time.Now()
			fyne.Do(func() { p.showLive(id, cfg, set, layout) })
		})
		return err
	}, func(err error) {
		p.run.Enable()
		p.refreshReplay()
		p.center.Refresh() // the progress bar went
		if id != p.runID {
			return
		}
		switch {
		case widgets.Cancelled(err) && res != nil:
			p.showResult(res)
			p.showMessage(fmt.Errorf("cancelled after %d iterations: the layout so far is shown, without its measures", res.iterations))
		case err != nil:
			p.showMessage(err)
		default:
			p.showResult(res)
			p.record(res)
		}
	})
	p.job.Sync = false
	if err != nil {
		p.run.Enable()
		p.showMessage(err)
	}
	p.center.Refresh() // the progress bar came
}

// showLive shows a t-SNE layout of set's images while the run goes on.
func (p *embeddingsPane) showLive(id int, cfg embedSettings, set *data.Set, layout []float64) {
	if id != p.runID || !p.job.Running() {
		return
	}
	if p.res != nil {
		p.clearResult()
	}
	p.setShown(set)
	p.scatter.SetPoints(layout, set.Labels)
	p.scatterHd.SetText(fmt.Sprintf("t-SNE of %s · %s images · optimising…", cfg.layer, widgets.Thousands(len(layout)/2)))
	p.liveMu.Lock()
	p.liveShown++
	p.liveMu.Unlock()
}

// setShown makes set the images behind the scatter's points.
func (p *embeddingsPane) setShown(set *data.Set) {
	if p.shown == set {
		return
	}
	p.shown = set
	p.scatter.Thumbnail = func(i int) image.Image { return set.Picture(i) }
	p.scatter.Caption = func(i int) string { return fmt.Sprintf("%s · point %d", inspection.ClassName(set, i), i) }
	p.setLegend(set.Classes, set.Labels)
}

// setLegend lists the classes with their colours and counts.
func (p *embeddingsPane) setLegend(classes []string, labels []int32) {
	counts := make([]int, len(classes))
	for _, l := range labels {
		if int(l) < len(counts) {
			counts[l]++
		}
	}
	var rows []fyne.CanvasObject
	head := widgets.Caption("Classes", nil)
	head.TextStyle.Bold = true
	rows = append(rows, head)
	for c, name := range classes {
		col := scatter.Tab10[c%len(scatter.Tab10)]
		rows = append(rows, widgets.Swatch(fmt.Sprintf("%s (%d)", name, counts[c]), col))
	}
	p.legend.Objects = rows
	p.legend.Refresh()
}

// showResult shows a finished (or cancelled) embedding.
func (p *embeddingsPane) showResult(r *embedResult) {
	p.res = r
	p.setShown(r.set)
	p.scatter.Select(nil)
	p.selected(nil)
	p.scatter.SetPoints(r.layout, r.set.Labels)
	p.scatter.ResetView()
	cfg := r.settings
	n := widgets.Thousands(r.set.Len())
	p.scatterHd.SetText(fmt.Sprintf("%s of %s · %s %s images", cfg.method, cfg.layer, n, splitWord(cfg.split)))
	pct := func(v float64) string {
		if v < 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	p.fig2D.SetValue(pct(r.knn2D))
	p.figFeat.SetValue(pct(r.knnFeatures))
	p.figFeat.SetCaption(fmt.Sprintf("10-NN in the %d-D features", r.dims))
	info := n + " points"
	if cfg.method == embedPCA {
		p.figFit.SetValue(pct(r.explained))
		p.figFit.SetCaption("variance kept by 2 components")
	} else {
		if math.IsNaN(r.kl) {
			p.figFit.SetValue("–")
		} else {
			p.figFit.SetValue(fmt.Sprintf("%.3f", r.kl))
		}
		p.figFit.SetCaption("KL divergence")
		info = fmt.Sprintf("%s points · %s iterations", n, widgets.Thousands(r.iterations))
	}
	p.figInfo.SetValue(fmt.Sprintf("%.1f s", r.seconds))
	p.figInfo.SetCaption(info)
	p.exportCSV.Enable()
	p.exportScat.Enable()
	if r.grid != nil {
		p.grid.SetImage(r.grid)
		p.gridBox.Objects = []fyne.CanvasObject{p.grid}
		p.gridHd.SetText(fmt.Sprintf("Image grid · %d×%d cells", r.cols, r.rows))
		p.exportGrid.Enable()
	} else {
		p.gridBox.Objects = []fyne.CanvasObject{widgets.HintBox("The image grid is drawn when an embedding finishes.", "Embed again", p.start)}
		p.exportGrid.Disable()
	}
	p.gridBox.Refresh()
}

func splitWord(split string) string {
	if split == "train" {
		return "training"
	}
	return "test"
}

// clearResult empties the views until the next run.
func (p *embeddingsPane) clearResult() {
	p.res, p.shown = nil, nil
	p.replay.steps = nil
	p.replay.box.Hide()
	p.scatter.SetPoints(nil, nil)
	p.scatter.Select(nil)
	p.selected(nil)
	p.scatterHd.SetText("Scatter")
	p.grid.SetImage(nil)
	p.gridHd.SetText("Image grid")
	p.gridBox.Objects = []fyne.CanvasObject{widgets.Hint("Run an embedding: its images are placed here at their positions in the map, on a grid.")}
	p.gridBox.Refresh()
	for _, f := range []*widgets.Figure{p.fig2D, p.figFeat, p.figFit, p.figInfo} {
		f.SetValue("–")
	}
	p.figFeat.SetCaption("10-NN accuracy in the features")
	p.figInfo.SetCaption("time")
	p.legend.Objects = nil
	p.legend.Refresh()
	p.exportCSV.Disable()
	p.exportScat.Disable()
	p.exportGrid.Disable()
}

// selected lists the images of a region chosen in the scatter.
func (p *embeddingsPane) selected(idx []int) {
	p.selIdx = idx
	if len(idx) == 0 || p.shown == nil {
		if p.selPanel.Visible() {
			p.selPanel.Hide()
			p.center.Refresh()
		}
		p.selGrid.Refresh()
		return
	}
	counts := map[int32]int{}
	for _, i := range idx {
		counts[p.shown.Labels[i]]++
	}
	type cc struct {
		c int32
		n int
	}
	var list []cc
	for c, n := range counts {
		list = append(list, cc{c, n})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n || list[i].n == list[j].n && list[i].c < list[j].c })
	var parts []string
	for _, e := range list {
		name := strconv.Itoa(int(e.c))
		if int(e.c) < len(p.shown.Classes) {
			name = p.shown.Classes[e.c]
		}
		parts = append(parts, fmt.Sprintf("%d %s", e.n, name))
	}
	p.selLabel.SetText(fmt.Sprintf("%s images selected: %s", widgets.Thousands(len(idx)), strings.Join(parts, ", ")))
	p.selGrid.ScrollToTop()
	p.selGrid.Refresh()
	p.selPanel.Show()
	p.center.Refresh()
}

func (p *embeddingsPane) showMessage(err error) {
	if err == nil {
		p.msg.Hide()
	} else {
		widgets.ShowRunError(p.msg, err)
		p.msg.Show()
	}
	p.center.Refresh()
}

// save asks for a file and writes what write produces into it.
func (p *embeddingsPane) save(name, ext string, write func(w *bytes.Buffer) error) {
	if p.res == nil || p.S.Window == nil {
		return
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		dialog.ShowError(err, p.S.Window)
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, p.S.Window)
			return
		}
		if w == nil {
			return
		}
		_, err = w.Write(buf.Bytes())
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			dialog.ShowError(fmt.Errorf("cannot write %s: %v", w.URI().Name(), err), p.S.Window)
		}
	}, p.S.Window)
	d.SetFileName(name)
	d.SetFilter(storage.NewExtensionFileFilter([]string{ext}))
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// PrepareRender computes a real t-SNE of 1,500 test images for
// render-panes (loading the dataset if no pane has), so that the picture
// shows the scatter and the image grid.
func (p *embeddingsPane) PrepareRender(ctx context.Context) {
	p.Sync = true
	defer func() { p.Sync = false }()
	if p.Model == nil {
		return
	}
	if p.S.Dataset == nil {
		p.LoadData()
	}
	if ctx.Err() != nil || !p.DataOK() {
		return
	}
	p.points.SetText("1500")
	p.start()
}
