package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

func TestPanesAreTheNineInNavigationOrder(t *testing.T) {
	want := []string{"Data", "Architecture", "Train", "Classic", "Filters & Activations",
		"Embeddings", "Saliency", "Adversarial", "Dream & Style"}
	var got []string
	for _, p := range Panes() {
		got = append(got, p.Title)
		if p.Icon == nil || p.New == nil {
			t.Errorf("pane %s lacks an icon or constructor", p.ID)
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("panes %q, want %q", got, want)
	}
}

func TestRegisterPaneReplacesABuiltinPaneKeepingItsPlace(t *testing.T) {
	t.Cleanup(func() { delete(registered, ui.PaneTrain); delete(registered, "extra") })
	marker := widget.NewLabel("the real Train pane")
	RegisterPane(Pane{ID: ui.PaneTrain, New: func(*ui.State) fyne.CanvasObject { return marker }})
	RegisterPane(Pane{ID: "extra", Title: "Extra", Order: 1000, New: func(*ui.State) fyne.CanvasObject { return widget.NewLabel("x") }})

	panes := Panes()
	if len(panes) != 10 || panes[2].ID != ui.PaneTrain || panes[2].Title != "Train" || panes[2].Icon == nil || panes[9].ID != "extra" {
		t.Fatalf("registry after RegisterPane: %+v", panes)
	}
	panetest.NewApp(t)
	s := ui.NewState(panetest.Sample(t), "")
	sh := newShell(s)
	sh.show(ui.PaneTrain)
	if sh.body.Objects[0] != marker {
		t.Fatalf("the registered content is not shown")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("registering a pane twice should panic at start-up")
		}
	}()
	RegisterPane(Pane{ID: ui.PaneTrain, New: func(*ui.State) fyne.CanvasObject { return marker }})
}

// paneShell builds a main window's shell showing pane id for project p.
func paneShell(t *testing.T, p *projects.Project, id string) (*ui.State, *shell, fyne.Window) {
	t.Helper()
	panetest.NewApp(t)
	s := ui.NewState(p, "")
	w := test.NewTempWindow(t, nil)
	w.SetPadded(false)
	s.Window = w
	sh := newShell(s)
	w.SetContent(sh.root)
	w.Resize(fyne.NewSize(1280, 800))
	sh.show(id)
	return s, sh, w
}

// emptyState returns the empty state a pane shows.
func emptyState(t *testing.T, sh *shell, id string) *widgets.EmptyState {
	t.Helper()
	sh.show(id)
	es := panetest.Find[*widgets.EmptyState](sh.body, nil)
	if len(es) != 1 {
		t.Fatalf("pane %s shows %d empty states, want 1", id, len(es))
	}
	return es[0]
}

func TestEveryPaneShowsAnEmptyStateThatSaysWhatToDoFirst(t *testing.T) {
	panetest.NewApp(t)
	for _, tc := range []struct {
		name string
		p    *projects.Project
	}{{"empty", projects.New("Empty")}, {"sample", panetest.Sample(t)}, {"trained", panetest.Trained(t)}} {
		s := ui.NewState(tc.p, "")
		w := test.NewTempWindow(t, nil)
		sh := newShell(s)
		w.SetContent(sh.root)
		w.Resize(fyne.NewSize(1280, 800))
		for _, p := range sh.panes {
			e := emptyState(t, sh, p.ID)
			if e.Title == "" || len(e.Description) < 80 || len(e.Steps) == 0 {
				t.Errorf("%s/%s: empty state lacks a title, a description or a first step: %+v", tc.name, p.ID, e)
			}
			if sh.nav.Length() != 9 {
				t.Fatalf("nav has %d rows", sh.nav.Length())
			}
		}
	}
}

func TestInspectionPanesAskForATrainedModelUntilThereIsOne(t *testing.T) {
	panetest.NewApp(t)
	s := ui.NewState(panetest.Sample(t), "")
	sh := newShell(s)
	for _, id := range []string{ui.PaneFilters, ui.PaneEmbeddings, ui.PaneSaliency, ui.PaneAdversarial, ui.PaneDream} {
		e := emptyState(t, sh, id)
		if !strings.Contains(e.Steps[0], "Train a model first in the Train pane") || e.OnAction == nil {
			t.Fatalf("%s on an untrained project: steps %q", id, e.Steps)
		}
	}
	// The button goes to the Train pane.
	e := emptyState(t, sh, ui.PaneSaliency)
	buttons := panetest.Find[*widget.Button](e, func(b *widget.Button) bool { return b.Text == "Go to Train" })
	if len(buttons) != 1 {
		t.Fatalf("no Go to Train button")
	}
	test.Tap(buttons[0])
	if sh.current != ui.PaneTrain {
		t.Fatalf("after Go to Train the current pane is %s", sh.current)
	}

	// A new, trained project changes the message of panes already built.
	s.SetProject(panetest.Trained(t), "")
	e = emptyState(t, sh, ui.PaneFilters)
	if strings.Contains(strings.Join(e.Steps, " "), "Train a model first") || !strings.Contains(e.Note, "1 weight tensors, 288 parameters") {
		t.Fatalf("trained project: steps %q note %q", e.Steps, e.Note)
	}
}

func TestStatusBarShowsProjectDeviceAndUnsavedMark(t *testing.T) {
	panetest.NewApp(t)
	s := ui.NewState(panetest.Sample(t), "")
	sh := newShell(s)
	if sh.project.Text != projects.SampleName || sh.device.Text != "Device: CPU" || sh.dirty.Text != "" || sh.file.Text != "not saved yet" {
		t.Fatalf("status: %q %q %q %q", sh.project.Text, sh.device.Text, sh.dirty.Text, sh.file.Text)
	}
	s.MarkDirty()
	if !strings.Contains(sh.dirty.Text, "unsaved") {
		t.Fatalf("dirty mark missing: %q", sh.dirty.Text)
	}
	s.MarkSaved("/somewhere/x.wbproj")
	if sh.dirty.Text != "" || sh.file.Text != "/somewhere/x.wbproj" {
		t.Fatalf("after save: %q %q", sh.dirty.Text, sh.file.Text)
	}
	s.SetDevice("NVIDIA H100/PCIe/SSE2")
	if sh.device.Text != "Device: NVIDIA H100/PCIe/SSE2" {
		t.Fatalf("device: %q", sh.device.Text)
	}
}

// testWindow is a main window on the test driver whose dialogs are recorded
// instead of shown, and whose quit is counted.
type testWindow struct {
	*window
	dialogs []dialog.Dialog
	quits   int
}

func newTestWindow(t *testing.T, p *projects.Project, path string) *testWindow {
	t.Helper()
	t.Setenv("TMPDIR", t.TempDir()) // the test app's storage root, for untitled autosaves
	a := panetest.NewApp(t)
	tw := &testWindow{}
	tw.window = newWindow(a, Options{Version: "9.9.9"}, p, path)
	tw.showDialog = func(d dialog.Dialog) { tw.dialogs = append(tw.dialogs, d); d.Show() }
	tw.quit = func() { tw.quits++ }
	t.Cleanup(tw.stopAutosave)
	return tw
}

// press taps the button labelled text in the dialog on top of the window.
func (tw *testWindow) press(t *testing.T, text string) {
	t.Helper()
	top := tw.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is open to press %q in", text)
	}
	b := panetest.Find[*widget.Button](top, func(b *widget.Button) bool { return b.Text == text })
	if len(b) != 1 {
		t.Fatalf("the open dialog has %d buttons %q", len(b), text)
	}
	test.Tap(b[0])
}

func saveFile(t *testing.T, p *projects.Project, path string) {
	t.Helper()
	if err := projects.Save(p, path); err != nil {
		t.Fatal(err)
	}
}

func TestMenusHaveTheShortcuts(t *testing.T) {
	tw := newTestWindow(t, panetest.Sample(t), "")
	// Ctrl+key, Cmd+key on macOS.
	key := func(k fyne.KeyName, mod fyne.KeyModifier) string {
		return (&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault | mod}).ShortcutName()
	}
	want := map[string]string{"New": key(fyne.KeyN, 0), "Open…": key(fyne.KeyO, 0), "Save": key(fyne.KeyS, 0),
		"Save As…": key(fyne.KeyS, fyne.KeyModifierShift), "Quit": key(fyne.KeyQ, 0)}
	menu := tw.win.MainMenu()
	if menu == nil || len(menu.Items) != 2 || menu.Items[0].Label != "File" || menu.Items[1].Label != "Help" {
		t.Fatalf("main menu: %+v", menu)
	}
	seen := map[string]bool{}
	for _, it := range menu.Items[0].Items {
		if sc, ok := want[it.Label]; ok {
			seen[it.Label] = true
			if it.Shortcut == nil || it.Shortcut.ShortcutName() != sc {
				t.Errorf("%s: shortcut %v, want %s", it.Label, it.Shortcut, sc)
			}
		}
	}
	for _, label := range []string{"Open Recent", "Close"} {
		found := false
		for _, it := range menu.Items[0].Items {
			found = found || it.Label == label
		}
		if !found {
			t.Errorf("File menu lacks %s", label)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("File menu has %v of %v", seen, want)
	}
	var help []string
	for _, it := range menu.Items[1].Items {
		help = append(help, it.Label)
	}
	if strings.Join(help, "|") != "Keyboard Shortcuts|About Workbench" {
		t.Errorf("Help menu: %q", help)
	}
}

func TestAboutShowsTheVersion(t *testing.T) {
	tw := newTestWindow(t, panetest.Sample(t), "")
	tw.showAbout()
	labels := panetest.Find[*widget.Label](tw.win.Canvas().Overlays().Top(), func(l *widget.Label) bool { return strings.Contains(l.Text, "9.9.9") })
	if len(labels) == 0 {
		t.Fatal("About does not show the version")
	}
}

func TestSaveWritesTheFileAndClearsDirtyAndAutosave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.wbproj")
	saveFile(t, panetest.Sample(t), path)
	tw := newTestWindow(t, panetest.Sample(t), path)
	tw.state.Project.Name = "Renamed"
	tw.state.MarkDirty()
	if !strings.HasSuffix(tw.win.Title(), "●") {
		t.Fatalf("title of a dirty project: %q", tw.win.Title())
	}
	done := make(chan error, 1)
	tw.autosaveNow(func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ok := projects.NewerAutosave(path); !ok {
		t.Fatal("autosave did not write a newer side file")
	}
	tw.save(nil)
	if tw.state.Dirty() || strings.HasSuffix(tw.win.Title(), "●") {
		t.Fatal("still dirty after save")
	}
	if _, err := os.Stat(projects.AutosavePath(path)); !os.IsNotExist(err) {
		t.Fatalf("autosave left after save: %v", err)
	}
	p, err := projects.Open(path)
	if err != nil || p.Name != "Renamed" {
		t.Fatalf("saved file: %v %v", p, err)
	}
	// The sample's modified time (2025-01-01) becomes the save's.
	if time.Since(p.Modified) > time.Hour || !p.Modified.After(p.Created) {
		t.Fatalf("modified %v after a save from the app", p.Modified)
	}
	if r := tw.recent(); len(r) != 1 || r[0] != path {
		t.Fatalf("recent files: %q", r)
	}
}

func TestAnAutosaveThatEndsAfterASaveLeavesNoStaleSideFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.wbproj")
	saveFile(t, panetest.Sample(t), path)
	tw := newTestWindow(t, panetest.Sample(t), path)
	for i := 0; i < 5; i++ {
		tw.state.MarkDirty()
		done := make(chan error, 1)
		tw.autosaveNow(func(err error) { done <- err })
		tw.save(nil) // whichever finishes first, no side file may remain
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(projects.AutosavePath(path)); !os.IsNotExist(err) {
			t.Fatalf("round %d: a stale autosave is left after the save (%v)", i, err)
		}
	}
}

func TestUntitledProjectAutosavesAndIsOfferedAtStart(t *testing.T) {
	tw := newTestWindow(t, panetest.Sample(t), "")
	tw.state.Project.Name = "Unsaved work"
	tw.state.MarkDirty()
	done := make(chan error, 1)
	tw.autosaveNow(func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A new window, as after a crash, offers to recover it.
	tw2 := &testWindow{window: newWindow(fyne.CurrentApp(), Options{}, panetest.Sample(t), "")}
	tw2.showDialog = func(d dialog.Dialog) { tw2.dialogs = append(tw2.dialogs, d); d.Show() }
	tw2.openAtStart("")
	if len(tw2.dialogs) != 1 {
		t.Fatalf("no recovery offered (%d dialogs)", len(tw2.dialogs))
	}
	tw2.press(t, "Recover")
	if tw2.state.Project.Name != "Unsaved work" || tw2.state.Path != "" || !tw2.state.Dirty() {
		t.Fatalf("recovered: name %q path %q dirty %v", tw2.state.Project.Name, tw2.state.Path, tw2.state.Dirty())
	}
}

func TestOpenOffersANewerAutosave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.wbproj")
	saveFile(t, panetest.Sample(t), path)
	newer := panetest.Sample(t)
	newer.Name = "Newer work"
	if err := projects.Autosave(newer, path); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	os.Chtimes(projects.AutosavePath(path), future, future)

	for _, choice := range []string{"Recover", "Open the saved file"} {
		tw := newTestWindow(t, projects.New("Other"), "")
		tw.openPath(path, false)
		tw.press(t, choice)
		wantName, wantDirty := "Newer work", true
		if choice != "Recover" {
			wantName, wantDirty = projects.SampleName, false
		}
		if tw.state.Project.Name != wantName || tw.state.Path != path || tw.state.Dirty() != wantDirty {
			t.Errorf("%s: name %q path %q dirty %v", choice, tw.state.Project.Name, tw.state.Path, tw.state.Dirty())
		}
		_, offered := projects.NewerAutosave(path)
		if offered != (choice == "Recover") {
			t.Errorf("%s: autosave still there: %v (kept only until a recovered project is saved)", choice, offered)
		}
	}
}

func TestUnsavedChangesAreAskedAbout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.wbproj")
	saveFile(t, panetest.Sample(t), path)

	tw := newTestWindow(t, panetest.Sample(t), path)
	tw.state.MarkDirty()

	tw.requestQuit()
	tw.press(t, "Cancel")
	if tw.quits != 0 || !tw.state.Dirty() {
		t.Fatalf("Cancel quit anyway")
	}

	tw.newProject()
	tw.press(t, "Don't Save")
	if tw.state.Path != "" || tw.state.Project.Name != "Untitled" || tw.state.Dirty() {
		t.Fatalf("Don't Save did not start a new project: %q %q", tw.state.Path, tw.state.Project.Name)
	}

	tw.openPath(path, false) // clean: opens without asking
	if tw.state.Path != path || len(tw.dialogs) != 2 {
		t.Fatalf("opening with no changes: path %q dialogs %d", tw.state.Path, len(tw.dialogs))
	}
	tw.state.Project.Name = "Edited"
	tw.state.MarkDirty()
	tw.requestQuit()
	tw.press(t, "Save")
	if tw.quits != 1 {
		t.Fatalf("Save then quit: quits %d", tw.quits)
	}
	if p, err := projects.Open(path); err != nil || p.Name != "Edited" {
		t.Fatalf("Save before quit did not save: %v %v", p, err)
	}

	tw.requestQuit() // clean now: quits without asking
	if tw.quits != 2 {
		t.Fatalf("clean quit: quits %d", tw.quits)
	}
}

func TestDroppingFilesOpensProjectsAndRefusesOthers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dropped.wbproj")
	p := panetest.Sample(t)
	p.Name = "Dropped"
	saveFile(t, p, path)
	other := filepath.Join(dir, "notes.txt")
	os.WriteFile(other, []byte("hi"), 0o644)

	tw := newTestWindow(t, panetest.Sample(t), "")
	tw.dropped([]fyne.URI{storageURI(other)})
	if len(tw.dialogs) != 1 || tw.state.Project.Name != projects.SampleName {
		t.Fatalf("dropping a text file: %d dialogs, project %q", len(tw.dialogs), tw.state.Project.Name)
	}
	msg := panetest.Find[*widget.Label](tw.win.Canvas().Overlays().Top(), func(l *widget.Label) bool { return strings.Contains(l.Text, "notes.txt is not one") })
	if len(msg) != 1 {
		t.Fatalf("the refusal does not name the file")
	}
	tw.press(t, "OK")
	tw.dropped([]fyne.URI{storageURI(other), storageURI(path)})
	if tw.state.Project.Name != "Dropped" || tw.state.Path != path {
		t.Fatalf("dropping a project: %q %q", tw.state.Project.Name, tw.state.Path)
	}
}

func TestOpeningABadFileShowsItsProblemAndKeepsTheProject(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.wbproj")
	os.WriteFile(path, []byte("this is not a project"), 0o644)
	tw := newTestWindow(t, panetest.Sample(t), "")
	tw.openPath(path, false)
	if tw.state.Project.Name != projects.SampleName || len(tw.dialogs) != 1 {
		t.Fatalf("bad file: project %q dialogs %d", tw.state.Project.Name, len(tw.dialogs))
	}
	msg := panetest.Find[*widget.Label](tw.win.Canvas().Overlays().Top(), func(l *widget.Label) bool { return strings.Contains(l.Text, "bad.wbproj") })
	if len(msg) == 0 {
		t.Fatal("the error does not name the file")
	}
}

func TestRecentFilesAreNewestFirstWithoutDuplicates(t *testing.T) {
	tw := newTestWindow(t, panetest.Sample(t), "")
	for i := 0; i < 15; i++ {
		tw.addRecent(filepath.Join("/p", string(rune('a'+i))+".wbproj"))
	}
	tw.addRecent("/p/c.wbproj")
	r := tw.recent()
	if len(r) != maxRecent || r[0] != "/p/c.wbproj" || r[1] != "/p/o.wbproj" {
		t.Fatalf("recent: %q", r)
	}
	seen := map[string]bool{}
	for _, p := range r {
		if seen[p] {
			t.Fatalf("duplicate %s in %q", p, r)
		}
		seen[p] = true
	}
	if n := len(tw.recentMenu.Items); n != maxRecent+2 { // + separator, Clear Recent
		t.Fatalf("Open Recent has %d items", n)
	}
	tw.recentMenu.Items[len(tw.recentMenu.Items)-1].Action()
	if len(tw.recent()) != 0 || !tw.recentMenu.Items[0].Disabled {
		t.Fatalf("Clear Recent left %q", tw.recent())
	}
}

func TestRenderPanesWritesOneDistinctPNGPerPane(t *testing.T) {
	dir := t.TempDir()
	files, err := RenderPanes(context.Background(), panetest.Sample(t), "", dir, RenderOptions{Width: 1024, Height: 700})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Panes()) {
		t.Fatalf("%d files for %d panes", len(files), len(Panes()))
	}
	sums := map[[32]byte]string{}
	for i, f := range files {
		if filepath.Base(f) != Panes()[i].ID+".png" {
			t.Errorf("file %s for pane %s", f, Panes()[i].ID)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if img.Bounds().Dx() != 1024 || img.Bounds().Dy() != 700 {
			t.Errorf("%s is %v, want 1024x700", f, img.Bounds())
		}
		// Drawn, not blank: many distinct colours (text is anti-aliased).
		colours := map[[4]uint32]bool{}
		for y := 0; y < 700; y += 3 {
			for x := 0; x < 1024; x += 3 {
				r, g, b, a := img.At(x, y).RGBA()
				colours[[4]uint32{r, g, b, a}] = true
			}
		}
		if len(colours) < 20 {
			t.Errorf("%s looks blank (%d colours)", f, len(colours))
		}
		sum := sha256.Sum256(b)
		if prev, dup := sums[sum]; dup {
			t.Errorf("%s is identical to %s", f, prev)
		}
		sums[sum] = f
	}
}

func storageURI(path string) fyne.URI { return storage.NewFileURI(path) }
