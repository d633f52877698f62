package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/data"
	"github.com/workbench-cv/workbench/app/dream"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// window is the desktop main window: the shell plus menus, shortcuts, file
// handling, recent files and autosave.
type window struct {
	app   fyne.App
	win   fyne.Window
	state *ui.State
	shell *shell
	opts  Options

	menu       *fyne.MainMenu
	recentMenu *fyne.Menu
	stop       chan struct{}
	// saves counts successful saves, so that an autosave that finishes
	// after a save can remove its now stale side file. (Atomic because the
	// test driver runs fyne.Do on the calling goroutine.)
	saves atomic.Int64

	// showDialog displays a dialog; tests replace it to answer dialogs.
	showDialog func(d dialog.Dialog)
	// quit ends the app; tests replace it.
	quit func()

	// importJob runs model imports and exports (modelimport.go);
	// lastExport lists the files the last export wrote.
	importJob  *widgets.JobBar
	datasetJob *widgets.JobBar // reloads an opened project's dataset (reopen.go)
	lastExport []string
}

// prefRecent is the preferences key of the recent files list.
const prefRecent = "recent_files"

// maxRecent is how many recent files the File menu keeps.
const maxRecent = 10

// newWindow builds the main window around a first project.
func newWindow(a fyne.App, opts Options, p *projects.Project, path string) *window {
	w := &window{app: a, opts: opts, stop: make(chan struct{})}
	w.win = a.NewWindow("Workbench")
	keepFilesUntilWritten()
	w.state = ui.NewState(p, path)
	w.state.Window = w.win
	w.shell = newShell(w.state)
	w.showDialog = func(d dialog.Dialog) { d.Show() }
	w.quit = a.Quit

	w.win.SetPadded(false)
	w.win.SetContent(w.shell.root)
	w.win.Resize(fyne.NewSize(1280, 800))
	w.buildMenu()
	w.win.SetCloseIntercept(func() { w.requestQuit() })
	w.win.SetOnDropped(func(pos fyne.Position, uris []fyne.URI) {
		if !dream.Drop(w.state, pos, uris) { // image files go to the Dream & Style pane
			w.dropped(uris)
		}
	})
	w.state.OnChange(func(ui.Change) { w.updateTitle() })
	w.updateTitle()
	if len(w.shell.panes) > 0 {
		w.shell.show(w.shell.panes[0].ID)
	}
	return w
}

func (w *window) updateTitle() {
	t := "Workbench — " + w.state.ProjectName()
	if w.state.Dirty() {
		t = "Workbench — " + w.state.ProjectName() + " ●"
	}
	w.win.SetTitle(t)
}

// ---- file actions ----

// newProject replaces the project with an empty one on the sample dataset.
func (w *window) newProject() {
	w.confirmDiscard("New project", func() {
		p := projects.New("Untitled")
		p.Dataset.Spec = "sample"
		w.state.SetProject(p, "")
	})
}

// closeProject closes the project; an empty untitled project takes its place.
func (w *window) closeProject() {
	w.confirmDiscard("Close project", func() {
		w.state.SetProject(projects.New("Untitled"), "")
	})
}

// openDialog asks for a project file to open.
func (w *window) openDialog() {
	w.confirmDiscard("Open project", func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil {
				w.showError("Open project", err)
				return
			}
			if r == nil {
				return // cancelled
			}
			path := r.URI().Path()
			r.Close()
			w.openPath(path, false)
		}, w.win)
		d.SetFilter(storage.NewExtensionFileFilter([]string{projects.Extension}))
		if dir := w.lastFolder(); dir != nil {
			d.SetLocation(dir)
		}
		d.Resize(fyne.NewSize(900, 600))
		w.showDialog(d)
	})
}

// openPath opens the project file at path, first offering a newer autosave
// when one exists. asked says the user already agreed to discard changes.
func (w *window) openPath(path string, asked bool) {
	if !asked {
		w.confirmDiscard("Open project", func() { w.openPath(path, true) })
		return
	}
	if auto, ok := projects.NewerAutosave(path); ok {
		w.offerAutosave(path, auto)
		return
	}
	w.load(path, path)
}

// load reads from (the file or its autosave) and makes it the project saved
// at path. A project recovered from an autosave is dirty until saved.
func (w *window) load(from, path string) {
	p, err := projects.Open(from)
	if err != nil {
		w.showError("Could not open "+filepath.Base(from), err)
		if from == path && errors.Is(err, os.ErrNotExist) {
			w.removeRecent(path)
		}
		return
	}
	w.state.SetProject(p, path)
	if from != path {
		w.state.MarkDirty()
	}
	if path != "" {
		w.addRecent(path)
	}
	w.reloadDataset()
}

// offerAutosave asks whether to recover the newer autosave of path.
func (w *window) offerAutosave(path, auto string) {
	when := ""
	if st, err := os.Stat(auto); err == nil {
		when = " from " + st.ModTime().Format("Mon 2 Jan 15:04")
	}
	name := filepath.Base(path)
	msg := fmt.Sprintf("Workbench found unsaved work on %s%s, newer than the file itself: "+
		"Workbench may have stopped before saving it.\n\nRecover it?", name, when)
	if path == w.untitledPath() {
		msg = fmt.Sprintf("Workbench found unsaved work on an untitled project%s.\n\nRecover it?", when)
	}
	d := dialog.NewConfirm("Recover unsaved work?", msg, func(recover bool) {
		if recover {
			target := path
			if path == w.untitledPath() {
				target = ""
			}
			w.load(auto, target)
			return
		}
		// Declined: the autosave would be offered again and again.
		projects.RemoveAutosave(path)
		if path == w.untitledPath() {
			return // nothing to fall back to: keep the current project
		}
		w.load(path, path)
	}, w.win)
	d.SetConfirmText("Recover")
	d.SetDismissText("Open the saved file")
	if path == w.untitledPath() {
		d.SetDismissText("Discard it")
	}
	w.showDialog(d)
}

// save writes the project to its file, or asks for one; then runs after a
// successful save.
func (w *window) save(after func()) {
	if w.state.Path == "" {
		w.saveAs(after)
		return
	}
	w.saveTo(w.state.Path, after)
}

func (w *window) saveTo(path string, after func()) {
	old := w.state.Path
	// The file records when it was saved, from the app as from the CLI.
	prev := w.state.Project.Modified
	w.state.Project.Modified = time.Now().UTC().Round(time.Millisecond)
	if err := projects.Save(w.state.Project, path); err != nil {
		w.state.Project.Modified = prev
		w.showError("Could not save "+filepath.Base(path), err)
		return
	}
	w.saves.Add(1)
	w.discardAutosave(old)
	w.discardAutosave(path)
	w.state.MarkSaved(path)
	w.addRecent(path)
	if after != nil {
		after()
	}
}

// saveAs asks where to save the project.
func (w *window) saveAs(after func()) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) { w.savePicked(wc, err, after) }, w.win)
	d.SetFileName(safeFileName(w.state.ProjectName()) + projects.Extension)
	d.SetFilter(storage.NewExtensionFileFilter([]string{projects.Extension}))
	if dir := w.lastFolder(); dir != nil {
		d.SetLocation(dir)
	}
	d.Resize(fyne.NewSize(900, 600))
	w.showDialog(d)
}

// savePicked saves to the file chosen in the Save dialog. It takes only
// the chosen path: the dialog's writer is closed unwritten (it leaves the
// file as it was, see keepFilesUntilWritten) and projects.Save replaces the
// file atomically, so a save that fails loses nothing. A name without the
// project extension gets it, and the file of that name is left alone.
func (w *window) savePicked(wc fyne.URIWriteCloser, err error, after func()) {
	if err != nil {
		w.showError("Save project", err)
		return
	}
	if wc == nil {
		return // cancelled
	}
	path := wc.URI().Path()
	wc.Close()
	if !strings.EqualFold(filepath.Ext(path), projects.Extension) {
		path += projects.Extension
	}
	// A new project takes the name the person just gave its file.
	if n := strings.TrimSpace(w.state.Project.Name); n == "" || n == "Untitled" {
		w.state.Project.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	w.saveTo(path, after)
}

// confirmDiscard runs then, after asking to save when there are unsaved
// changes.
func (w *window) confirmDiscard(action string, then func()) {
	if !w.state.Dirty() {
		then()
		return
	}
	msg := widget.NewLabel(fmt.Sprintf("%s has unsaved changes. Save them first?", w.state.ProjectName()))
	var d *dialog.CustomDialog
	save := widget.NewButton("Save", func() { d.Hide(); w.save(then) })
	save.Importance = widget.HighImportance
	discard := widget.NewButton("Don't Save", func() {
		d.Hide()
		w.discardAutosave(w.state.Path)
		then()
	})
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(action, msg, w.win)
	d.SetButtons([]fyne.CanvasObject{cancel, discard, save})
	w.showDialog(d)
}

// requestQuit closes the window, asking about unsaved changes first.
func (w *window) requestQuit() {
	w.confirmDiscard("Quit Workbench", func() {
		w.stopAutosave()
		w.quit()
	})
}

// dropped opens the first project file among dropped items.
func (w *window) dropped(uris []fyne.URI) {
	for _, u := range uris {
		if strings.EqualFold(u.Extension(), projects.Extension) {
			w.openPath(u.Path(), false)
			return
		}
	}
	// Models (ONNX, TensorFlow.js) are imported.
	for _, u := range uris {
		if isModelPath(u.Path()) {
			w.importModel(u.Path())
			return
		}
	}
	// Datasets (folders, zips, IDX/CIFAR/NumPy files) go to the Data pane.
	if data.Drop(w.state, uris) {
		return
	}
	if len(uris) > 0 {
		w.showError("Cannot open "+uris[0].Name(), fmt.Errorf(
			"workbench opens project files (%s) and imports models (.onnx, model.json, .tgz); %s is not one. Use File ▸ Open to choose a project, File ▸ Import Model… for a model", projects.Extension, uris[0].Name()))
	}
}

func (w *window) showError(title string, err error) {
	d := dialog.NewInformation(title, widgets.FirstUpper(err.Error()), w.win)
	w.showDialog(d)
}

// ---- recent files ----

func (w *window) recent() []string {
	return w.app.Preferences().StringListWithFallback(prefRecent, nil)
}

func (w *window) addRecent(path string) {
	list := []string{path}
	for _, p := range w.recent() {
		if p != path && len(list) < maxRecent {
			list = append(list, p)
		}
	}
	w.app.Preferences().SetStringList(prefRecent, list)
	w.refreshRecentMenu()
}

func (w *window) removeRecent(path string) {
	var list []string
	for _, p := range w.recent() {
		if p != path {
			list = append(list, p)
		}
	}
	w.app.Preferences().SetStringList(prefRecent, list)
	w.refreshRecentMenu()
}

// lastFolder is the folder of the most recent file, for file dialogs.
func (w *window) lastFolder() fyne.ListableURI {
	dirs := w.recent()
	if w.state.Path != "" {
		dirs = append([]string{w.state.Path}, dirs...)
	}
	for _, p := range dirs {
		l, err := storage.ListerForURI(storage.NewFileURI(filepath.Dir(p)))
		if err == nil {
			return l
		}
	}
	return nil
}

// ---- autosave ----

// untitledPath is where an untitled project autosaves, in the app's storage.
func (w *window) untitledPath() string {
	root := w.app.Storage().RootURI()
	if root == nil {
		return ""
	}
	return filepath.Join(root.Path(), "untitled"+projects.Extension)
}

// autosaveTarget is the file whose side file holds the current project's
// autosave.
func (w *window) autosaveTarget() string {
	if w.state.Path != "" {
		return w.state.Path
	}
	return w.untitledPath()
}

func (w *window) discardAutosave(path string) {
	if path == "" {
		path = w.untitledPath()
	}
	if path != "" {
		projects.RemoveAutosave(path)
	}
}

// autosaveNow writes a copy of a dirty project to its side file, off the UI
// goroutine; done (if not nil) receives the result.
func (w *window) autosaveNow(done func(error)) {
	target := w.autosaveTarget()
	if !w.state.Dirty() || target == "" {
		if done != nil {
			done(nil)
		}
		return
	}
	// Clone on the UI goroutine, where the project is changed, and write
	// the copy elsewhere so that a big project does not freeze the window.
	p := w.state.Project.Clone()
	saves := w.saves.Load()
	widgets.Go(func() {
		err := os.MkdirAll(filepath.Dir(target), 0o755)
		if err == nil {
			err = projects.Autosave(p, target)
		}
		if err != nil {
			fyne.LogError("autosave to "+target, err)
		}
		fyne.DoAndWait(func() {
			if w.saves.Load() != saves {
				projects.RemoveAutosave(target) // saved meanwhile: the side file is stale
			}
		})
		if done != nil {
			done(err)
		}
	})
}

func (w *window) startAutosave() {
	every := w.opts.AutosaveEvery
	if every <= 0 {
		every = DefaultAutosaveEvery
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fyne.Do(func() { w.autosaveNow(nil) })
			case <-w.stop:
				return
			}
		}
	}()
}

func (w *window) stopAutosave() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
}

// ---- helpers ----

// safeFileName turns a project name into a file name.
func safeFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '-'
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" || name == "." || name == ".." {
		return "project"
	}
	return name
}
