package app

import (
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/blas"
)

// shortcut is a menu shortcut: Ctrl+key (Cmd+key on macOS), plus Shift.
func shortcut(key fyne.KeyName, shift bool) fyne.Shortcut {
	mod := fyne.KeyModifierShortcutDefault
	if shift {
		mod |= fyne.KeyModifierShift
	}
	return &desktop.CustomShortcut{KeyName: key, Modifier: mod}
}

// buildMenu sets the File and Help menus. The driver triggers the items'
// shortcuts.
func (w *window) buildMenu() {
	item := func(label string, key fyne.KeyName, shift bool, action func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, action)
		if key != "" {
			it.Shortcut = shortcut(key, shift)
		}
		return it
	}
	w.recentMenu = fyne.NewMenu("Open Recent")
	recent := fyne.NewMenuItem("Open Recent", nil)
	recent.ChildMenu = w.recentMenu
	quit := item("Quit", fyne.KeyQ, false, w.requestQuit)
	quit.IsQuit = true

	file := fyne.NewMenu("File",
		item("New", fyne.KeyN, false, w.newProject),
		item("Open…", fyne.KeyO, false, w.openDialog),
		recent,
		fyne.NewMenuItemSeparator(),
		item("Import Model…", fyne.KeyI, false, w.importModelDialog),
		item("Export Model…", fyne.KeyE, false, w.exportModelDialog),
		fyne.NewMenuItemSeparator(),
		item("Save", fyne.KeyS, false, func() { w.save(nil) }),
		item("Save As…", fyne.KeyS, true, func() { w.saveAs(nil) }),
		fyne.NewMenuItemSeparator(),
		item("Close", fyne.KeyW, false, w.closeProject),
		fyne.NewMenuItemSeparator(),
		quit,
	)
	help := fyne.NewMenu("Help",
		item("Keyboard Shortcuts", "", false, w.showShortcuts),
		item("About Workbench", "", false, w.showAbout),
	)
	w.menu = fyne.NewMainMenu(file, help)
	w.refreshRecentMenu()
	w.win.SetMainMenu(w.menu)
}

// refreshRecentMenu rebuilds File ▸ Open Recent from the preferences.
func (w *window) refreshRecentMenu() {
	if w.recentMenu == nil {
		return
	}
	var items []*fyne.MenuItem
	for _, p := range w.recent() {
		path := p
		label := fmt.Sprintf("%s  (%s)", filepath.Base(path), filepath.Dir(path))
		items = append(items, fyne.NewMenuItem(label, func() { w.openPath(path, false) }))
	}
	if len(items) == 0 {
		none := fyne.NewMenuItem("No recent projects", nil)
		none.Disabled = true
		items = append(items, none)
	} else {
		items = append(items, fyne.NewMenuItemSeparator(), fyne.NewMenuItem("Clear Recent", func() {
			w.app.Preferences().SetStringList(prefRecent, nil)
			w.refreshRecentMenu()
		}))
	}
	w.recentMenu.Items = items
	if w.menu != nil {
		w.menu.Refresh()
	}
}

// modifierName is how the shortcut modifier is written on this system.
func modifierName() string {
	if runtime.GOOS == "darwin" {
		return "Cmd"
	}
	return "Ctrl"
}

// shortcutTable lists the keyboard shortcuts shown in Help.
func shortcutTable() [][2]string {
	m := modifierName()
	return [][2]string{
		{m + "+N", "New project"},
		{m + "+O", "Open a project"},
		{m + "+I", "Import a model (ONNX, TensorFlow.js)"},
		{m + "+E", "Export the model (ONNX, PyTorch, NumPy)"},
		{m + "+S", "Save"},
		{m + "+Shift+S", "Save as a new file"},
		{m + "+W", "Close the project"},
		{m + "+Q", "Quit"},
	}
}

func (w *window) showShortcuts() {
	grid := container.NewGridWithColumns(2)
	for _, r := range shortcutTable() {
		grid.Add(widget.NewLabelWithStyle(r[0], fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}))
		grid.Add(widget.NewLabel(r[1]))
	}
	extra := widget.NewLabel("Drop a project file on the window to open it, or a model (.onnx, model.json, .tgz) to import it.")
	w.showDialog(dialog.NewCustom("Keyboard Shortcuts", "Close", container.NewVBox(grid, widget.NewSeparator(), extra), w.win))
}

func (w *window) showAbout() {
	icon := canvas.NewImageFromResource(Icon())
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(96))
	name := widget.NewLabelWithStyle("Workbench "+w.opts.version(), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	about := widget.NewLabel("Design, train and look inside convolutional networks,\n" +
		"offline, on your own machine.")
	about.Alignment = fyne.TextAlignCenter
	built := w.opts.BuildDate
	if built == "" {
		built = "unstamped build"
	}
	details := widget.NewLabel(fmt.Sprintf("Compute device: %s\nCPU BLAS: %s\nBuilt %s with %s for %s/%s, Fyne %s",
		w.state.Device, blasName(), built, runtime.Version(), runtime.GOOS, runtime.GOARCH, fyneVersion()))
	details.Alignment = fyne.TextAlignCenter
	w.showDialog(dialog.NewCustom("About Workbench", "Close",
		container.NewVBox(container.NewCenter(icon), name, about, details), w.win))
}

// blasName names the CPU matrix-multiply library: OpenBLAS, Accelerate, or
// the engine's pure-Go kernels (with the SIMD kernel they picked).
func blasName() string {
	if impl := blas.Impl(); impl != "go" {
		return impl
	}
	return "pure Go (" + blas.GoKernel() + " kernel)"
}

// fyneVersion is the Fyne release the app is built with.
func fyneVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "fyne.io/fyne/v2" {
				return d.Version
			}
		}
	}
	return "v2"
}
