package trainui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// fitWindow lets a tab's content scroll rather than ask for more room than
// the window has: the content is laid out at its full size when the window
// gives it that much (a Scroll stretches its content to the viewport), and
// scrolls when the window is smaller (1024x700), so that nothing a run or
// an edit adds can grow the window.
func fitWindow(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewScroll(o)
}
