package panetest

import (
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Find returns the laid-out objects under o of type T that satisfy keep
// (all of them when keep is nil).
func Find[T fyne.CanvasObject](o fyne.CanvasObject, keep func(T) bool) []T {
	var out []T
	for _, obj := range test.LaidOutObjects(o) {
		if v, ok := obj.(T); ok && (keep == nil || keep(v)) {
			out = append(out, v)
		}
	}
	return out
}

// Texts returns every label and text shown under o, one per line.
func Texts(o fyne.CanvasObject) string {
	var b strings.Builder
	for _, obj := range test.LaidOutObjects(o) {
		switch v := obj.(type) {
		case *widget.Label:
			b.WriteString(v.Text + "\n")
		case *canvas.Text:
			b.WriteString(v.Text + "\n")
		}
	}
	return b.String()
}

// Eventually polls cond on the test goroutine until it holds (a minute at
// most).
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SamePixels reports whether two images are equal pixel for pixel.
func SamePixels(a, b image.Image) bool {
	if a == nil || b == nil || a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}
