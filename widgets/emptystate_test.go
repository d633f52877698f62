package widgets

import (
	"image/color"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// texts returns every text the object shows.
func texts(o fyne.CanvasObject) string {
	var b strings.Builder
	for _, obj := range test.LaidOutObjects(o) {
		switch v := obj.(type) {
		case *canvas.Text:
			b.WriteString(v.Text + "\n")
		}
	}
	return b.String()
}

func TestEmptyStateShowsEveryPartAndItsButtonActs(t *testing.T) {
	test.NewTempApp(t)
	e := NewEmptyState(theme.InfoIcon(), "Saliency", "Which pixels matter for a prediction.")
	e.Steps = []string{"Train a model first.", "Pick an image."}
	e.Command = "workbench viz saliency"
	e.Note = "No weights yet."
	tapped := 0
	e.ActionLabel, e.OnAction = "Go to Train", func() { tapped++ }
	w := test.NewTempWindow(t, e)
	w.Resize(fyne.NewSize(900, 700))

	got := texts(e)
	for _, want := range []string{"Saliency", "Which pixels matter", "What to do first", "1. Train a model first.",
		"2. Pick an image.", "workbench viz saliency", "No weights yet.", "Go to Train"} {
		if !strings.Contains(got, want) {
			t.Errorf("empty state does not show %q; shows:\n%s", want, got)
		}
	}
	var buttons []*widget.Button
	for _, o := range test.LaidOutObjects(e) {
		if b, ok := o.(*widget.Button); ok {
			buttons = append(buttons, b)
		}
	}
	if len(buttons) != 1 {
		t.Fatalf("%d buttons, want 1", len(buttons))
	}
	test.Tap(buttons[0])
	if tapped != 1 {
		t.Fatalf("button tapped %d times", tapped)
	}

	// Without an action there is no button; a refresh shows new fields.
	e.OnAction = nil
	e.Title = "Changed"
	e.Refresh()
	for _, o := range test.LaidOutObjects(e) {
		if _, ok := o.(*widget.Button); ok {
			t.Fatal("a button without an action is shown")
		}
	}
	if !strings.Contains(texts(e), "Changed") {
		t.Fatal("Refresh did not show the new title")
	}
	// A single step is not numbered.
	e.Steps = []string{"Only step."}
	e.Refresh()
	if got := texts(e); !strings.Contains(got, "Only step.") || strings.Contains(got, "1. Only step.") {
		t.Fatalf("single step shown as:\n%s", got)
	}
}

func TestEmptyStateWrapsItsTextInAReadableColumn(t *testing.T) {
	test.NewTempApp(t)
	long := strings.Repeat("a long description that must wrap ", 20)
	e := NewEmptyState(nil, "Title", long)
	w := test.NewTempWindow(t, e)
	w.Resize(fyne.NewSize(1600, 900))
	for _, o := range test.LaidOutObjects(e) {
		if l, ok := o.(*widget.Label); ok && l.Text == long {
			if l.Size().Width > emptyStateWidth+1 {
				t.Fatalf("description is %v wide, want at most %d", l.Size().Width, emptyStateWidth)
			}
			if l.Size().Height < 60 {
				t.Fatalf("description did not wrap onto several lines: size %v", l.Size())
			}
			return
		}
	}
	t.Fatal("description label not found")
}

func TestBackgroundFollowsTheTheme(t *testing.T) {
	test.NewTempApp(t)
	b := NewBackground(theme.ColorNameHeaderBackground)
	w := test.NewTempWindow(t, b)
	w.Resize(fyne.NewSize(50, 50))
	rect := func() color.Color {
		for _, o := range test.LaidOutObjects(b) {
			if r, ok := o.(*canvas.Rectangle); ok {
				return r.FillColor
			}
		}
		t.Fatal("no rectangle")
		return nil
	}
	test.ApplyTheme(t, test.Theme())
	first := rect()
	test.ApplyTheme(t, test.NewTheme())
	second := rect()
	same := func(a, b color.Color) bool {
		r1, g1, b1, a1 := a.RGBA()
		r2, g2, b2, a2 := b.RGBA()
		return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
	}
	if same(first, second) {
		t.Fatalf("background colour did not change with the theme: %v", first)
	}
	if want := test.NewTheme().Color(theme.ColorNameHeaderBackground, theme.VariantLight); !same(second, want) {
		t.Fatalf("background %v, want the theme's header background %v", second, want)
	}
}
