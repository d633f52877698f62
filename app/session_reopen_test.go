package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// tab returns the content of the tab titled title under root, selecting it.
func tab(t *testing.T, root fyne.CanvasObject, title string) fyne.CanvasObject {
	t.Helper()
	for _, tabs := range panetest.Find[*container.AppTabs](root, nil) {
		for _, it := range tabs.Items {
			if it.Text == title {
				tabs.Select(it)
				return it.Content
			}
		}
	}
	t.Fatalf("no tab %q", title)
	return nil
}

// setField types v into the entry captioned caption under root: the entry
// laid out just before a label saying caption (the Train pane's captioned
// fields put the entry first) or, with after, the first one after it (the
// forms of the other panes).
func setField(t *testing.T, root fyne.CanvasObject, caption, v string, after bool) {
	t.Helper()
	var last *widget.Entry
	seen := false
	for _, o := range test.LaidOutObjects(root) {
		text := ""
		switch w := o.(type) {
		case *widget.Label:
			text = w.Text
		case *canvas.Text:
			text = w.Text
		case *widget.Entry:
			if after && seen {
				w.SetText(v)
				return
			}
			last = w
			continue
		}
		if text == caption && !after && last != nil {
			last.SetText(v)
			return
		}
		seen = seen || text == caption
	}
	t.Fatalf("no field %q in %q", caption, panetest.Texts(root))
}

// tapWhenDone taps the button labelled text under root and waits until
// done holds and the button is enabled again (its job finished).
func tapWhenDone(t *testing.T, root fyne.CanvasObject, text string, done func() bool) {
	t.Helper()
	b := panetest.Find[*widget.Button](root, func(b *widget.Button) bool { return b.Text == text })
	if len(b) == 0 {
		t.Fatalf("no button %q; the pane says %q", text, panetest.Texts(root))
	}
	if b[0].Disabled() {
		t.Fatalf("button %q is disabled; the pane says %q", text, panetest.Texts(root))
	}
	widgets.Locked(func() { test.Tap(b[0]) })
	panetest.Eventually(t, text, func() bool {
		ok := false
		widgets.Locked(func() { ok = done() && !b[0].Disabled() })
		return ok
	})
	time.Sleep(50 * time.Millisecond) // let the finished job's last UI update land
}

// Must-show 1 of the [workflow] issue: a project with a run, a search, a
// babysitting step, k-NN, a linear classifier and a t-SNE map, all made
// through the panes, saved, and reopened in a fresh window: every pane
// shows the same results, word for word.
func TestAResearchersSessionSurvivesAReopen(t *testing.T) {
	full := panetest.SampleData(t)
	ds := &data.Dataset{Name: full.Name, Format: full.Format,
		Train: data.BalancedSubset(full.Train, 300, 1), Test: data.BalancedSubset(full.Test, 100, 1)}
	p := panetest.Sample(t)
	p.Dataset.LimitTrain, p.Dataset.LimitTest = 300, 100
	s, sh, _ := paneShell(t, p, ui.PaneTrain)
	s.SetDataset(ds)
	pr := s.Project

	train := sh.body
	curves := tab(t, train, "Curves")
	setField(t, curves, "Epochs", "1", false)
	tapWhenDone(t, curves, "Start", func() bool { return len(pr.Runs) == 1 && pr.Runs[0].Status == projects.RunFinished })
	tapWhenDone(t, tab(t, train, "Babysitting"), "Measure", func() bool { return len(pr.Results.Babysit) == 1 })
	search := tab(t, train, "Search")
	setField(t, search, "Configurations", "2", false)
	setField(t, search, "Training images", "200", false)
	setField(t, search, "Validation images", "40", false)
	tapWhenDone(t, search, "Run search", func() bool { return pr.Results.Search != nil })

	sh.show(ui.PaneClassic)
	classic := sh.body
	knn := tab(t, classic, "k-nearest neighbours")
	setField(t, knn, "Training", "200", true)
	setField(t, knn, "Test", "40", true)
	setField(t, knn, "Folds", "3", true)
	tapWhenDone(t, knn, "Run cross-validation", func() bool { return pr.Results.KNN != nil })
	lin := tab(t, classic, "Linear classifiers")
	setField(t, lin, "Training", "200", true)
	setField(t, lin, "Validation", "50", true)
	setField(t, lin, "Settings", "2", true)
	setField(t, lin, "Iterations", "30", true)
	tapWhenDone(t, lin, "Run search", func() bool { return len(pr.Results.Classic) == 2 })

	sh.show(ui.PaneEmbeddings)
	setField(t, sh.body, "Points", "150", true)
	setField(t, sh.body, "Iterations", "250", true)
	tapWhenDone(t, sh.body, "Embed", func() bool { return len(pr.Results.Maps) == 1 })

	// What each pane shows, tab by tab.
	type view struct{ pane, tab string }
	views := []view{{ui.PaneTrain, "Runs"}, {ui.PaneTrain, "Babysitting"}, {ui.PaneTrain, "Search"},
		{ui.PaneClassic, "Overview"}, {ui.PaneClassic, "k-nearest neighbours"}, {ui.PaneClassic, "Linear classifiers"},
		{ui.PaneEmbeddings, ""}}
	shown := func(sh *shell) []string {
		var out []string
		for _, v := range views {
			sh.show(v.pane)
			var o fyne.CanvasObject = sh.body
			if v.tab != "" {
				o = tab(t, o, v.tab)
			}
			out = append(out, results(o))
		}
		return out
	}
	before := shown(sh)
	knnSummary := lineWith(before[4], "best k = ")
	linSummary := lineWith(before[5], "training images): best of 2 settings")
	if knnSummary == "" || linSummary == "" || !strings.Contains(before[6], "KL divergence") {
		t.Fatalf("the panes do not show their results:\n%s", strings.Join(before, "\n"))
	}

	path := filepath.Join(t.TempDir(), "session.wbproj")
	if keep := os.Getenv("WORKBENCH_SESSION_PROJECT"); keep != "" {
		path = keep // kept, for the screenshots in docs/screenshots
	}
	if err := projects.Save(pr, path); err != nil {
		t.Fatal(err)
	}
	q, err := projects.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s2, sh2, _ := paneShell(t, q, ui.PaneTrain)
	s2.Path = path
	s2.SetDataset(ds)
	after := shown(sh2)
	// Every view reads word for word as before: the Train pane's runs,
	// babysitting and search; the Classic overview, the k-NN tab with its
	// neighbour grid, the linear tab with its table and templates; the map
	// with its figures and image grid.
	for i := range views {
		// Only the note that the map is the recorded one is new.
		if d := lineDiff(before[i], dropLines(after[i], "The map recorded in the project")); d != "" {
			t.Errorf("%s/%s after reopen differs:\n%s", views[i].pane, views[i].tab, d)
		}
	}
	if !strings.Contains(after[4], knnSummary) || !strings.Contains(after[5], linSummary) {
		t.Errorf("after reopen the k-NN tab or the linear tab do not say %q, %q:\n%s\n%s", knnSummary, linSummary, after[4], after[5])
	}
	if lineWith(after[3], "Multiclass SVM") == "" || !strings.Contains(after[3], pctOf(linSummary, "validation ")) || !strings.Contains(after[3], pctOf(linSummary, "test ")) {
		t.Errorf("the overview after reopen lacks the linear classifier's accuracies (%s):\n%s", linSummary, after[3])
	}
	// The grids are there, not only their captions: the neighbour grid's
	// and the templates' images.
	for i, what := range map[int]string{4: "neighbour grid", 5: "class templates"} {
		if b, a := images(t, sh, views[i].pane, views[i].tab), images(t, sh2, views[i].pane, views[i].tab); a == 0 || a != b {
			t.Errorf("the %s after reopen has %d images, had %d", what, a, b)
		}
	}
}

// images counts the images a pane's tab shows.
func images(t *testing.T, sh *shell, pane, title string) int {
	sh.show(pane)
	o := tab(t, sh.body, title)
	test.LaidOutObjects(o)
	return len(panetest.Find[*canvas.Image](o, nil))
}

// lineWith is the first line of s containing sub ("" when none).
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// pctOf is the percentage written after label in s ("validation 68.0%").
func pctOf(s, label string) string {
	_, rest, ok := strings.Cut(s, label)
	if !ok {
		return "no " + label
	}
	v, _, _ := strings.Cut(rest, "%")
	return v + "%"
}

// lineDiff lists the lines only in a (-) and only in b (+).
func lineDiff(a, b string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if ca[l] > cb[l] {
			out = append(out, "- "+l)
			ca[l]--
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if cb[l] > count(a)[l] {
			out = append(out, "+ "+l)
			cb[l]--
		}
	}
	return strings.Join(out, "\n")
}

// results is what o shows, one text a line, less what the user types (the
// entries) and the job bars' progress: the results and their explanations.
func results(o fyne.CanvasObject) string {
	test.LaidOutObjects(o) // lays everything out
	var b strings.Builder
	var walk func(x fyne.CanvasObject)
	walk = func(x fyne.CanvasObject) {
		switch v := x.(type) {
		case *widget.Entry, *widget.ProgressBar:
			return
		case *widget.Table: // every cell, not only those drawn so far
			rows, cols := v.Length()
			for r := range rows {
				for c := range cols {
					cell := v.CreateCell()
					v.UpdateCell(widget.TableCellID{Row: r, Col: c}, cell)
					walk(cell)
				}
			}
			return
		case *widget.Label:
			b.WriteString(v.Text + "\n")
			return
		case *canvas.Text:
			b.WriteString(v.Text + "\n")
			return
		case *fyne.Container:
			for _, c := range v.Objects {
				if _, ok := c.(*widget.ProgressBar); ok {
					return // a job bar: what it is doing, its progress
				}
			}
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}

// dropLines removes the lines starting with prefix, and one empty line for
// each (the note's label was empty before).
func dropLines(s, prefix string) string {
	var out []string
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
			continue
		}
		out = append(out, l)
	}
	if n > 0 {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}
