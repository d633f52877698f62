package app

import (
	"os"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/workbench-cv/workbench/assets"
	"github.com/workbench-cv/workbench/projects"
)

// AppID identifies the app to the system (preferences, storage); it matches
// FyneApp.toml.
const AppID = "io.github.workbench-cv.workbench"

// DefaultAutosaveEvery is how often a project with unsaved changes is
// written to its autosave side file.
const DefaultAutosaveEvery = 3 * time.Minute

// Options configure Run.
type Options struct {
	// Path is a project file to open; "" opens the last project, or the
	// sample project on first start.
	Path string
	// Version is shown in Help ▸ About.
	Version string
	// BuildDate (YYYY-MM-DD) is shown in Help ▸ About; "" for a build
	// not stamped by scripts/package.sh.
	BuildDate string
	// AutosaveEvery overrides DefaultAutosaveEvery when positive.
	AutosaveEvery time.Duration
	// Interrupt, when it closes, asks the app to quit as File ▸ Quit does
	// (asking about unsaved changes); the CLI closes it on Ctrl-C.
	Interrupt <-chan struct{}
}

func (o Options) version() string {
	if o.Version == "" {
		return "(development build)"
	}
	return o.Version
}

// DeviceName returns the name of the compute device shown in the status bar
// (e.g. the OpenGL renderer's name). The command sets it to ask the engine's
// backends; it may be slow (it may make a GL context), so the window calls it
// once, off the UI goroutine, and shows "CPU" until it answers.
var DeviceName = func() string { return "CPU" }

// Icon returns the application icon.
func Icon() fyne.Resource {
	return fyne.NewStaticResource("workbench.png", assets.IconPNG)
}

// Run opens the main window and returns when the app quits. It must be
// called from the main goroutine.
func Run(opts Options) error {
	fyneapp.SetMetadata(fyne.AppMetadata{ID: AppID, Name: "Workbench", Version: opts.Version, Icon: Icon()})
	a := fyneapp.NewWithID(AppID)
	a.SetIcon(Icon())

	first, err := projects.Sample()
	if err != nil {
		fyne.LogError("loading the sample project", err)
		first = projects.New("Untitled")
	}
	w := newWindow(a, opts, first, "")
	w.win.SetMaster()
	w.win.Show()
	w.startAutosave()
	a.Lifecycle().SetOnStarted(func() {
		// Probe once the driver has initialised GLFW: making the engine's
		// own GL context while GLFW loads the same GL library can make
		// GLFW's initialisation fail (seen under Xvfb with Mesa).
		go func() {
			name := DeviceName()
			fyne.Do(func() { w.state.SetDevice(name) })
		}()
	})
	w.openAtStart(opts.Path)
	if opts.Interrupt != nil {
		go func() {
			select {
			case <-opts.Interrupt:
				fyne.Do(w.requestQuit)
			case <-w.stop:
			}
		}()
	}
	a.Run()
	w.stopAutosave()
	return nil
}

// openAtStart chooses what the window shows first: the given file, unsaved
// work recovered from an untitled autosave, the last project, or (already
// shown) the sample project.
func (w *window) openAtStart(path string) {
	if path != "" {
		w.openPath(path, true)
		return
	}
	if u := w.untitledPath(); u != "" {
		if auto, ok := projects.NewerAutosave(u); ok {
			w.offerAutosave(u, auto)
			return
		}
	}
	if recent := w.recent(); len(recent) > 0 {
		if st, err := os.Stat(recent[0]); err == nil && st.Mode().IsRegular() {
			w.openPath(recent[0], true)
		}
	}
}
