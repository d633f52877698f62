package dream

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/projects/stylenet"
)

// trainedFast opens the colour sample on the pane, picks a content image
// (with two more in its folder) and two style images, and trains a small
// two-style network: the pane and the folder.
func trainedFast(t *testing.T) (*dreamPane, string) {
	t.Helper()
	_, sh, _ := panetest.Open(t, colourProject(t), ui.PaneDream, Pane)
	p := sh.Built[ui.PaneDream].(*dreamPane)
	panetest.ModelLoaded(t, &p.Base)
	dir := t.TempDir()
	for i, n := range []string{"a.png", "b.png", "c.png", "s1.png", "s2.png"} {
		stripes(t, filepath.Join(dir, n), 2+3*i, color.NRGBA{uint8(40 * i), 200, uint8(250 - 50*i), 255})
	}
	p.mode.SetSelected(modeFast)
	p.openSource(filepath.Join(dir, "a.png"))
	p.styles.addFile(filepath.Join(dir, "s1.png"))
	p.styles.addFile(filepath.Join(dir, "s2.png"))
	p.c.steps.SetText("4")
	p.c.size.SetValue(16)
	p.fast.width.SetValue(4)
	p.fast.batch.SetText("1")
	if !p.fast.save.Disabled() {
		t.Fatal("Save network… is enabled before a network is trained")
	}
	test.Tap(p.run)
	p.job.Wait()
	if p.fast.net == nil || p.fast.save.Disabled() || len(p.fast.shown) != 3 {
		t.Fatalf("training: %q", p.info.Text)
	}
	return p, dir
}

// TestFastStyleSavesAndReopensTheNetwork: Save network… writes a project
// that stylenet opens with the pane's styles and settings; Open network…
// on a fresh gallery restyles the content set pixel for pixel as the
// trained network did, with the style list's blend.
func TestFastStyleSavesAndReopensTheNetwork(t *testing.T) {
	p, dir := trainedFast(t)
	v := p.fast
	p.styles.items[0].blend.SetValue(0.25)
	test.Tap(v.restyle)
	p.job.Wait()
	want := append([]image.Image(nil), v.shown...)
	// The buttons open Fyne's file dialogs (dismissed here; the tests
	// then call what the dialogs call with the chosen path).
	for _, b := range []*widget.Button{v.save, v.open} {
		test.Tap(b)
		top := p.S.Window.Canvas().Overlays().Top()
		if top == nil {
			t.Fatalf("%s opens no dialog", b.Text)
		}
		p.S.Window.Canvas().Overlays().Remove(top)
	}
	path := filepath.Join(dir, "two-styles")
	v.saveTo(withProjectExt(path))
	p.job.Wait()
	path += projects.Extension
	if !strings.HasPrefix(p.info.Text, "Network saved to "+path) {
		t.Fatalf("saving: %q", p.info.Text)
	}
	net, meta, err := stylenet.Open(path, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	if len(net.Styles) != 2 || net.Styles[1] != "s2.png" || meta.Steps != 4 || meta.Size != 16 || meta.ContentLayer != p.c.contentLayer.Selected || meta.Perceptual == "" {
		t.Fatalf("saved styles %v, meta %+v", net.Styles, meta)
	}
	// Forget the network, as a new session would, and open it.
	v.clear()
	if !v.save.Disabled() || len(v.shown) != 0 {
		t.Fatal("clear kept the network")
	}
	v.openFrom(path)
	p.job.Wait()
	if v.net == nil || len(v.shown) != len(want) || v.save.Disabled() || v.restyle.Disabled() {
		t.Fatalf("opening: %d images, %q", len(v.shown), p.info.Text)
	}
	for i := range want {
		if !panetest.SamePixels(want[i], v.shown[i]) {
			t.Fatalf("gallery image %d differs from the trained network's", i)
		}
	}
	if !strings.Contains(p.info.Text, "Opened two-styles.wbproj: 2 styles (s1.png, s2.png)") || !strings.Contains(p.info.Text, "for 4 steps at 16 px") ||
		!strings.Contains(p.info.Text, "blend weights") {
		t.Fatalf("opened: %q", p.info.Text)
	}
	// With one style image listed, the gallery shows the first style and
	// says why.
	p.styles.items = p.styles.items[:1]
	p.styles.show()
	v.openFrom(path)
	p.job.Wait()
	if !strings.Contains(p.info.Text, "holds 2 styles and the style list has 1") || len(v.shown) != 3 {
		t.Fatalf("opened with one style listed: %q", p.info.Text)
	}
	first, err := net.Stylise(mustAt(t, v.content[0], 16), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !panetest.SamePixels(v.shown[0], attrib.PixelImage(first.Pix, 3, 16, 16)) {
		t.Fatal("the gallery is not the network's first style")
	}
}

// TestFastStyleSaveAndOpenRefuseWhatTheyShouldNot: a file that is not a
// project is not replaced; a project that is not a fast-style network is
// not opened; both say so in the info line and keep the gallery.
func TestFastStyleSaveAndOpenRefuseWhatTheyShouldNot(t *testing.T) {
	p, dir := trainedFast(t)
	v := p.fast
	notes := filepath.Join(dir, "notes.wbproj")
	if err := os.WriteFile(notes, []byte("my notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	v.saveTo(notes)
	p.job.Wait()
	if b, _ := os.ReadFile(notes); string(b) != "my notes" || !strings.Contains(p.info.Text, "is not a Workbench project, so it was not replaced") {
		t.Fatalf("saving over notes: %q, file %q", p.info.Text, b)
	}
	other := filepath.Join(dir, "classifier.wbproj")
	if err := projects.Save(colourProject(t), other); err != nil {
		t.Fatal(err)
	}
	net := v.net
	for _, bad := range []string{other, notes, filepath.Join(dir, "none.wbproj")} {
		v.openFrom(bad)
		p.job.Wait()
		if !strings.HasPrefix(p.info.Text, "Could not open the network: "+bad) || v.net != net || len(v.shown) != 3 {
			t.Errorf("opening %s: %q", bad, p.info.Text)
		}
	}
	if !strings.Contains(p.info.Text, "cannot read") && !strings.Contains(p.info.Text, "no such file") {
		t.Errorf("a missing file: %q", p.info.Text)
	}
}

func mustAt(t *testing.T, s *source, size int) style.Image {
	t.Helper()
	im, err := s.at(3, size, false)
	if err != nil {
		t.Fatal(err)
	}
	return im
}
