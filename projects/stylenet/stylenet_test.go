package stylenet_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/projects/stylenet"
)

// smallNet is a two-style network of width 4 with seeded weights, its
// conditional instance norms' gammas and betas made to differ per style.
func smallNet(t *testing.T) *style.FastNet {
	t.Helper()
	net, err := style.NewFastNet(cpu.New(), style.FastConfig{Width: 4, Residual: 1, Styles: 2}, []string{"scream", "wave"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range net.Model.State() {
		if strings.HasSuffix(name, "_in.weight") || strings.HasSuffix(name, "_in.bias") {
			d := p.Data()
			for i := range d {
				d[i] += 0.1 * float32(i%5)
			}
			p.Set(d)
		}
	}
	return net
}

func photo() style.Image {
	pix := make([]float32, 3*16*16)
	for i := range pix {
		pix[i] = float32(i%23) / 23
	}
	return style.Image{Pix: pix, Shape: []int{3, 16, 16}}
}

var meta = stylenet.Meta{Perceptual: "ResNet-50", ContentLayer: "relu2", Size: 64, Steps: 120, StyleWeight: 1e5, ContentWeight: 1, TV: 1e-6}

// TestSaveOpenStylisesAlike: a saved network opens with its styles and
// metadata and stylises every blend bit for bit as before.
func TestSaveOpenStylisesAlike(t *testing.T) {
	net := smallNet(t)
	path := filepath.Join(t.TempDir(), "net.wbproj")
	if err := stylenet.Save(path, net, meta); err != nil {
		t.Fatal(err)
	}
	got, m, err := stylenet.Open(path, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	if m != meta || !slices.Equal(got.Styles, net.Styles) || got.Config != net.Config {
		t.Fatalf("opened %v %v %+v, saved %v %v %+v", got.Styles, got.Config, m, net.Styles, net.Config, meta)
	}
	for _, blend := range [][]float64{nil, {0, 1}, {0.3, 0.7}} {
		a, err := net.Stylise(photo(), blend)
		if err != nil {
			t.Fatal(err)
		}
		b, err := got.Stylise(photo(), blend)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Pix, b.Pix) {
			t.Fatalf("blend %v: the opened network stylises differently", blend)
		}
	}
	p, err := projects.Open(path)
	if err != nil || !stylenet.Is(p) || p.Name != "fast style: scream, wave" {
		t.Fatalf("saved project %v (%v)", p, err)
	}
}

// TestOpenRefusesWhatIsNotAFastStyleNetwork: another model, an altered
// graph, missing or misshapen weights and a wrong count of style names
// each give a typed error naming the file.
func TestOpenRefusesWhatIsNotAFastStyleNetwork(t *testing.T) {
	dir := t.TempDir()
	net := smallNet(t)
	cases := []struct {
		name  string
		edit  func(p *projects.Project)
		kind  error
		words string
	}{
		{"another model", func(p *projects.Project) { p.Inspect.Strings = nil }, stylenet.ErrNotFastStyle, "records no styles"},
		{"altered graph", func(p *projects.Project) { p.Graph.Nodes = p.Graph.Nodes[:len(p.Graph.Nodes)-3] }, stylenet.ErrNotFastStyle, "nodes"},
		{"not a transformation network", func(p *projects.Project) { p.Graph.Nodes = p.Graph.Nodes[:1] }, stylenet.ErrNotFastStyle, "not a fast-style"},
		{"style count", func(p *projects.Project) { p.Inspect.Strings[style.FastStyleKey] = "one" }, stylenet.ErrNotFastStyle, "2 styles but 1 style names"},
		{"missing weight", func(p *projects.Project) { delete(p.Tensors, "weights/res1a.weight") }, stylenet.ErrWeights, "res1a.weight"},
		{"misshapen weight", func(p *projects.Project) {
			p.Tensors["weights/conv1_in.weight"] = projects.Tensor{Shape: []int{3, 4}, Data: make([]float32, 12)}
		}, stylenet.ErrWeights, "conv1_in.weight"},
	}
	for _, c := range cases {
		p := stylenet.Project(net, meta)
		c.edit(p)
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".wbproj")
		if err := projects.Save(p, path); err != nil {
			t.Fatal(err)
		}
		_, _, err := stylenet.Open(path, cpu.New())
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.words) || !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("%s: %v; want %v mentioning %q", c.name, err, c.kind, c.words)
		}
	}
	if _, _, err := stylenet.Open(filepath.Join(dir, "none.wbproj"), cpu.New()); !errors.Is(err, projects.ErrRead) {
		t.Errorf("a missing file: %v", err)
	}
}

// TestSaveKeepsAFileThatIsNotAProject: Save does not replace a file that
// is not a project, and leaves it as it was.
func TestSaveKeepsAFileThatIsNotAProject(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.wbproj")
	if err := os.WriteFile(path, []byte("my notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := stylenet.Save(path, smallNet(t), meta); !errors.Is(err, projects.ErrNotProject) {
		t.Fatalf("saving over notes: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "my notes" {
		t.Fatalf("the file now holds %q", b)
	}
}

// TestOpenKeepsTheSavedGraph: a network saved before reflection padding
// (zero-padded convolutions) opens with its own graph and stylises as it
// did, not as a new network with its weights would.
func TestOpenKeepsTheSavedGraph(t *testing.T) {
	old, err := style.NewFastNet(cpu.New(), style.FastConfig{Width: 4, Residual: 1, Styles: 1, Padding: style.PadZeros}, []string{"scream"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.wbproj")
	if err := stylenet.Save(path, old, meta); err != nil {
		t.Fatal(err)
	}
	got, _, err := stylenet.Open(path, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := old.Stylise(photo(), nil)
	b, err := got.Stylise(photo(), nil)
	if err != nil || got.Config.Padding != style.PadZeros || !slices.Equal(a.Pix, b.Pix) {
		t.Fatalf("reopened with %q padding (%v), same pixels %v", got.Config.Padding, err, slices.Equal(a.Pix, b.Pix))
	}
	cfg := old.Config
	cfg.Padding = style.PadReflect
	renewed, err := style.LoadFastNet(cpu.New(), style.FastGraph(cfg), old.Weights(), old.Styles)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := renewed.Stylise(photo(), nil); slices.Equal(a.Pix, c.Pix) {
		t.Fatal("reflection padding stylises as zero padding does: the test proves nothing")
	}
}
