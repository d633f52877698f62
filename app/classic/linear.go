package classic

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

// linearTab trains linear classifiers (multiclass SVM or softmax) on raw
// pixels or hand-made features with a random search over the learning rate
// and the regularisation strength: a sortable table of every setting, and
// the best classifier's class templates.
type linearTab struct {
	p    *classicPane
	ds   *data.Dataset
	root *fyne.Container
	form fyne.CanvasObject

	loss                        *widget.RadioGroup
	features                    *widget.Select
	nTrain, nVal, search, iters *widgets.IntField
	lrLo, lrHi, regLo, regHi    *widgets.FloatField
	runBtn                      *widget.Button
	job                         *widgets.JobBar
	msg                         *widget.Label
	table                       *widget.Table
	templates                   *fyne.Container

	result  *linearResult
	rows    []classic.SearchResult // as sorted for the table
	sortCol int
	sortAsc bool
}

// linearResult is a finished search.
type linearResult struct {
	loss         classic.Loss
	features     string
	trials       []classic.SearchResult // best first
	best         classic.SearchResult
	testAcc      float64
	trainN, valN int
	testN        int
	templates    []image.Image // nil unless trained on pixels
	classes      []string
	// pixels are the templates' bytes (C×H×W each) and settings the form's
	// numbers, as the project records them.
	pixels   [][]uint8
	settings map[string]float64
}

func (r *linearResult) lossName() string {
	if r.loss == classic.SVM {
		return "Multiclass SVM"
	}
	return "Softmax"
}

func (r *linearResult) summary() string {
	return fmt.Sprintf("%s on %s (%s training images): best of %d settings lr %.2g, reg %.2g; validation %s, test %s.",
		r.lossName(), r.features, widgets.Thousands(r.trainN), len(r.trials), r.best.LR, r.best.Reg, widgets.Pct(r.best.ValAcc), widgets.Pct(r.testAcc))
}

var linearColumns = []string{"Learning rate", "Regularisation", "Train acc.", "Val. acc."}

func newLinearTab(p *classicPane) *linearTab {
	t := &linearTab{p: p, job: widgets.NewJobBar(), msg: widget.NewLabel(""), sortCol: 3}
	t.loss = widget.NewRadioGroup([]string{"SVM", "Softmax"}, nil)
	t.loss.Horizontal = true
	t.loss.Required = true
	t.loss.SetSelected("SVM")
	t.lrLo = widgets.NewFloatField("Lowest learning rate", 1e-8, 1e-12, 10)
	t.lrHi = widgets.NewFloatField("Highest learning rate", 1e-6, 1e-12, 10)
	t.regLo = widgets.NewFloatField("Lowest regularisation", 1e3, 0, 1e9)
	t.regHi = widgets.NewFloatField("Highest regularisation", 1e5, 0, 1e9)
	t.features = widget.NewSelect(classic.FeatureKinds, func(f string) {
		// Raw pixels are in 0-255 units (the course's ranges); standardised
		// features are of order 1.
		lr, reg := pixelLR, pixelReg
		if f != "pixels" {
			lr, reg = featureLR, featureReg
		}
		t.lrLo.SetText(fmt.Sprint(lr[0]))
		t.lrHi.SetText(fmt.Sprint(lr[1]))
		t.regLo.SetText(fmt.Sprint(reg[0]))
		t.regHi.SetText(fmt.Sprint(reg[1]))
	})
	t.features.SetSelected("pixels")
	t.nTrain = widgets.NewIntField("Training images", 10000, 20, 1_000_000)
	t.nVal = widgets.NewIntField("Validation images", 1000, 10, 100_000)
	t.search = widgets.NewIntField("Settings to try", 8, 1, 200)
	t.iters = widgets.NewIntField("Iterations", 1500, 10, 100_000)
	t.runBtn = widget.NewButtonWithIcon("Run search", theme.MediaPlayIcon(), t.run)
	form := widget.NewForm(
		widget.NewFormItem("Loss", t.loss),
		widget.NewFormItem("Features", t.features),
		widget.NewFormItem("Training", t.nTrain.Entry),
		widget.NewFormItem("Validation", t.nVal.Entry),
		widget.NewFormItem("Settings", t.search.Entry),
		widget.NewFormItem("Learning rate", rangeRow(t.lrLo, t.lrHi)),
		widget.NewFormItem("Regularisation", rangeRow(t.regLo, t.regHi)),
		widget.NewFormItem("Iterations", t.iters.Entry),
	)
	t.msg.SetText("Mini-batch SGD (batch 200) with L2 regularisation; learning rate and regularisation are drawn " +
		"log-uniformly and the best on the validation images is kept. Pixels have the mean image subtracted; " +
		"features are standardised.")

	t.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(t.rows), len(linearColumns) },
		func() fyne.CanvasObject { return widget.NewLabel("0.000000") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			r := t.rows[id.Row]
			l.Alignment = fyne.TextAlignTrailing
			l.TextStyle.Bold = t.result != nil && r.LR == t.result.best.LR && r.Reg == t.result.best.Reg
			switch id.Col {
			case 0:
				l.SetText(fmt.Sprintf("%.3g", r.LR))
			case 1:
				l.SetText(fmt.Sprintf("%.3g", r.Reg))
			case 2:
				l.SetText(accOrErr(r.TrainAcc, r.Err))
			case 3:
				l.SetText(accOrErr(r.ValAcc, r.Err))
			}
		})
	widgets.SortableHeaders(t.table, linearColumns, "Regularisation", func() (int, bool) { return t.sortCol, t.sortAsc }, t.sortBy)
	for c := range linearColumns {
		t.table.SetColumnWidth(c, 140)
	}
	table := container.New(&fillColumns{table: t.table, n: len(linearColumns)}, t.table)
	t.templates = container.NewStack()
	left := widgets.FormPanel("Linear classifiers", form, t.runBtn, t.job, t.msg)
	right := container.NewVSplit(widgets.Card("Search: every setting tried (tap a header to sort)", table), widgets.Card("Class templates", t.templates))
	right.Offset = 0.45
	t.form = container.NewBorder(nil, nil, left, nil, container.New(layout.NewCustomPaddedLayout(4, 4, 4, 4), right))
	t.root = container.NewStack()
	return t
}

// The default search ranges: raw pixels are in 0-255 units (the course's
// ranges), standardised features of order 1.
var (
	pixelLR, pixelReg     = [2]float64{1e-8, 1e-6}, [2]float64{1e3, 1e5}
	featureLR, featureReg = [2]float64{1e-3, 1e-1}, [2]float64{1e-5, 1e-2}
)

// rangeRow shows two fields as "lo to hi".
func rangeRow(lo, hi *widgets.FloatField) fyne.CanvasObject {
	return container.NewBorder(nil, nil, nil, nil, container.NewGridWithColumns(2, lo.Entry, hi.Entry))
}

// rangeOf reads a range from two fields.
func rangeOf(lo, hi *widgets.FloatField) ([2]float64, error) {
	a, err := lo.Value()
	if err != nil {
		return [2]float64{}, err
	}
	b, err := hi.Value()
	if err != nil {
		return [2]float64{}, err
	}
	if a > b || a <= 0 {
		return [2]float64{}, fmt.Errorf("%s must be positive and at most the %s (%g)", strings.ToLower(lo.Name), strings.ToLower(hi.Name), b)
	}
	return [2]float64{a, b}, nil
}

// fillColumns shares a table's width among its columns.
type fillColumns struct {
	table *widget.Table
	n     int
	last  float32
}

func (l *fillColumns) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	if w := (s.Width - theme.ScrollBarSize() - 2) / float32(l.n); w != l.last && w > 60 {
		l.last = w
		for c := 0; c < l.n; c++ {
			l.table.SetColumnWidth(c, w)
		}
	}
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

func (l *fillColumns) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func accOrErr(a float64, err string) string {
	if err != "" {
		return "diverged"
	}
	return widgets.Pct(a)
}

func (t *linearTab) setDataset(ds *data.Dataset) {
	t.ds = ds
	t.result, t.rows = nil, nil
	t.table.Refresh()
	t.templates.Objects = nil
	t.templates.Refresh()
	if ds == nil {
		t.root.Objects = []fyne.CanvasObject{t.p.needData("Load the dataset to train linear classifiers.")}
	} else {
		t.root.Objects = []fyne.CanvasObject{t.form}
	}
	t.root.Refresh()
}

// sortBy sorts the table by a column; the same column again reverses.
func (t *linearTab) sortBy(col int) {
	if col == t.sortCol {
		t.sortAsc = !t.sortAsc
	} else {
		t.sortCol, t.sortAsc = col, col < 2
	}
	t.sortRows()
	t.table.Refresh()
}

func (t *linearTab) sortRows() {
	key := func(r classic.SearchResult) float64 {
		switch t.sortCol {
		case 0:
			return float64(r.LR)
		case 1:
			return float64(r.Reg)
		case 2:
			return r.TrainAcc
		}
		return r.ValAcc
	}
	sort.SliceStable(t.rows, func(i, j int) bool {
		if t.sortAsc {
			return key(t.rows[i]) < key(t.rows[j])
		}
		return key(t.rows[i]) > key(t.rows[j])
	})
}

// prepared are a run's feature matrices, standardised, with the bias column.
type prepared struct {
	xtr, xval, xte    *classic.Matrix
	ytr, yval, yte    []int32
	tr, val, te       *data.Set
	lrRange, regRange [2]float64
	classes           int
}

// prepareLinear extracts and standardises features as `workbench linear`
// does: raw pixels have the mean image subtracted, features are scaled to
// unit variance, and a bias column is appended.
func prepareLinear(ctx context.Context, ds *data.Dataset, feat string, nTrain, nVal int, seed int64, progress widgets.Report) (*prepared, error) {
	if ds.Test.Len() == 0 {
		return nil, errors.New("the dataset has no test images")
	}
	tr, val := trainVal(ds, nTrain, nVal, seed)
	if val.Len() == 0 || tr.Len() == 0 {
		return nil, errors.New("too few training images to hold some out for validation")
	}
	sets := []*data.Set{tr, val, ds.Test}
	mats := make([]*classic.Matrix, 3)
	for i, s := range sets {
		progress(i, 4, "Extracting "+feat+" features…")
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := classic.ExtractFeatures(s, feat)
		if err != nil {
			return nil, err
		}
		mats[i] = m
	}
	st := classic.FitStandardizer(mats[0], feat != "pixels")
	for i := range mats {
		mats[i] = classic.WithBias(st.Apply(mats[i]))
	}
	return &prepared{xtr: mats[0], xval: mats[1], xte: mats[2], ytr: tr.Labels, yval: val.Labels, yte: ds.Test.Labels,
		tr: tr, val: val, te: ds.Test, classes: len(tr.Classes)}, nil
}

func (t *linearTab) run() {
	ds := t.ds
	if ds == nil {
		return
	}
	nTrain, err1 := t.nTrain.Value()
	nVal, err2 := t.nVal.Value()
	n, err3 := t.search.Value()
	iters, err4 := t.iters.Value()
	lrR, err5 := rangeOf(t.lrLo, t.lrHi)
	regR, err6 := rangeOf(t.regLo, t.regHi)
	for _, err := range []error{err1, err2, err3, err4, err5, err6} {
		if err != nil {
			widgets.ShowRunError(t.msg, err)
			return
		}
	}
	loss := classic.SVM
	if t.loss.Selected == "Softmax" {
		loss = classic.Softmax
	}
	feat := t.features.Selected
	seed := t.p.s.Project.Hyper.Seed
	settings := map[string]float64{"train": float64(nTrain), "val": float64(nVal), "search": float64(n), "iters": float64(iters),
		"lr_lo": lrR[0], "lr_hi": lrR[1], "reg_lo": regR[0], "reg_hi": regR[1]}
	startTabJob(tabJob{job: t.job, button: t.runBtn, msg: t.msg, stale: func() bool { return t.ds != ds }},
		"Training linear classifiers…", func(ctx context.Context, progress widgets.Report) (*linearResult, error) {
			return runLinear(ctx, ds, loss, feat, nTrain, nVal, n, iters, lrR, regR, seed, progress)
		}, func(r *linearResult) {
			r.settings = settings
			t.show(r)
			t.p.recordLinear(r)
		})
}

// fewerNote says that the split had fewer training images than asked for,
// rather than use fewer silently.
func (r *linearResult) fewerNote() string {
	asked := int(r.settings["train"])
	if asked <= r.trainN {
		return ""
	}
	return fmt.Sprintf(" Asked for %s training images: the split has %s once %s validation images are held out.",
		widgets.Thousands(asked), widgets.Thousands(r.trainN), widgets.Thousands(int(r.settings["val"])))
}

// runLinear is the computation, off the UI goroutine.
func runLinear(ctx context.Context, ds *data.Dataset, loss classic.Loss, feat string, nTrain, nVal, n, iters int, lrR, regR [2]float64, seed int64, progress widgets.Report) (*linearResult, error) {
	pr, err := prepareLinear(ctx, ds, feat, nTrain, nVal, seed, progress)
	if err != nil {
		return nil, err
	}
	trials, err := classic.RandomSearch(ctx, loss, pr.xtr, pr.ytr, pr.xval, pr.yval, pr.classes, lrR, regR, n, iters, uint64(seed),
		func(done, total int) {
			progress(3*total+done, 4*total, fmt.Sprintf("Training setting %d of %d…", min(done+1, total), total))
		})
	if err != nil {
		return nil, err
	}
	best := trials[0]
	if best.Model == nil || best.Err != "" {
		return nil, errors.New("every setting diverged; try fewer iterations or another loss")
	}
	r := &linearResult{loss: loss, features: feat, trials: trials, best: best, testAcc: best.Model.Accuracy(pr.xte, pr.yte),
		trainN: pr.tr.Len(), valN: pr.val.Len(), testN: pr.te.Len(), classes: pr.tr.Classes}
	if feat == "pixels" {
		s := pr.tr
		for _, px := range best.Model.Templates(s.C, s.H, s.W) {
			r.pixels = append(r.pixels, px)
			r.templates = append(r.templates, (&data.Set{C: s.C, H: s.H, W: s.W, Images: px, Labels: []int32{0}}).Picture(0))
		}
	}
	return r, nil
}

// putSettings puts a recorded search's settings back into the form.
func (t *linearTab) putSettings(r *linearResult) {
	if r.loss == classic.Softmax {
		t.loss.SetSelected("Softmax")
	} else {
		t.loss.SetSelected("SVM")
	}
	t.features.SetSelected(r.features) // sets the default ranges, replaced below
	ints := map[string]*widgets.IntField{"train": t.nTrain, "val": t.nVal, "search": t.search, "iters": t.iters}
	for k, f := range ints {
		if v, ok := r.settings[k]; ok {
			f.SetText(strconv.Itoa(int(v)))
		}
	}
	floats := map[string]*widgets.FloatField{"lr_lo": t.lrLo, "lr_hi": t.lrHi, "reg_lo": t.regLo, "reg_hi": t.regHi}
	for k, f := range floats {
		if v, ok := r.settings[k]; ok {
			f.SetText(strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
}

// showRecorded says what the newest linear classifier recorded in the
// project found (its table and templates are not recorded).
func (t *linearTab) showRecorded(r classicResult) {
	t.msg.Importance = widget.MediumImportance
	t.msg.SetText(fmt.Sprintf("%s on %s (%s training images): %s; validation %s, test %s. (Recorded; run again to see the table and the templates.)",
		r.method, r.input, widgets.Thousands(r.train), r.detail, widgets.Pct(r.val), widgets.Pct(r.test)))
}

func (t *linearTab) show(r *linearResult) {
	t.display(r)
	t.p.addResult(classicResult{method: r.lossName(), input: r.features, train: r.trainN, val: r.best.ValAcc, test: r.testAcc,
		detail: fmt.Sprintf("best of %d: lr %.2g, reg %.2g", len(r.trials), r.best.LR, r.best.Reg)})
}

// display puts a result's table, summary and templates on screen.
func (t *linearTab) display(r *linearResult) {
	t.result = r
	t.rows = append([]classic.SearchResult(nil), r.trials...)
	t.sortRows()
	t.table.Refresh()
	t.msg.Importance = widget.MediumImportance
	t.msg.SetText(r.summary() + r.fewerNote())
	if r.templates != nil {
		note := widgets.WrapLabel("Each class's weights (bias left out) scaled to 0–255: the image the classifier matches against.")
		t.templates.Objects = []fyne.CanvasObject{container.NewBorder(nil, note, nil, nil,
			widgets.TemplateGrid(r.templates, r.classes, 5, 96))}
	} else {
		t.templates.Objects = []fyne.CanvasObject{container.NewCenter(widgets.WrapLabel("Templates are images of pixel weights; these weights are for " +
			r.features + " features. Train on raw pixels to see them."))}
	}
	t.templates.Refresh()
}
