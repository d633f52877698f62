package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/interop/tfjs"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
	"github.com/workbench-cv/workbench/exchange"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

// sampleONNX writes the sample network with initialised weights as an
// ONNX file, the op "Relu" renamed to rename when rename is not "".
func sampleONNX(t *testing.T, dir, rename string) (string, exchange.Model) {
	t.Helper()
	p := panetest.Sample(t)
	in := []int{p.Dataset.C, p.Dataset.H, p.Dataset.W}
	b, _, err := backend.Choose("cpu")
	if err != nil {
		t.Fatal(err)
	}
	nm, err := nn.Build(p.Graph, in, b, 3, nn.Init("default"))
	if err != nil {
		t.Fatal(err)
	}
	m := exchange.Model{Graph: p.Graph, Input: in, Weights: map[string]tensor.Host{}, Producer: "test"}
	for k, v := range nm.State() {
		m.Weights[k] = tensor.Host{Shape: slices.Clone(v.Shape), Data: v.Data()}
	}
	path := filepath.Join(dir, "small.onnx")
	if _, err := exchange.WriteONNX(m, path); err != nil {
		t.Fatal(err)
	}
	if rename != "" {
		data, _ := os.ReadFile(path)
		os.WriteFile(path, []byte(strings.Replace(string(data), "Relu", rename, 1)), 0o644)
	}
	return path, m
}

func (tw *testWindow) topLabel(t *testing.T, part string) bool {
	t.Helper()
	top := tw.win.Canvas().Overlays().Top()
	return top != nil && len(panetest.Find[*widget.Label](top, func(l *widget.Label) bool { return strings.Contains(l.Text, part) })) > 0
}

func TestImportModelOpensTheONNXModelInArchitectureKeepingUnsavedWork(t *testing.T) {
	dir := t.TempDir()
	path, m := sampleONNX(t, dir, "")
	tw := newTestWindow(t, panetest.Sample(t), "")
	tw.state.Project.Name = "Mine"
	tw.state.MarkDirty()

	tw.importModel(path)
	tw.importJob.Wait()
	// The unsaved project is offered to be saved first; Cancel keeps it.
	tw.press(t, "Cancel")
	if tw.state.Project.Name != "Mine" || !tw.state.Dirty() {
		t.Fatalf("after Cancel the project is %q (dirty %v)", tw.state.Project.Name, tw.state.Dirty())
	}

	tw.importModel(path)
	tw.importJob.Wait()
	tw.press(t, "Don't Save")
	p := tw.state.Project
	if p.Name == "Mine" || tw.state.Path != "" || !tw.state.Dirty() {
		t.Fatalf("imported project %q at %q, dirty %v", p.Name, tw.state.Path, tw.state.Dirty())
	}
	if len(p.Graph.Nodes) != len(m.Graph.Nodes) || len(p.Group(projects.GroupWeights)) != len(m.Weights) {
		t.Fatalf("imported %d nodes and %d tensors, want %d and %d", len(p.Graph.Nodes), len(p.Group(projects.GroupWeights)), len(m.Graph.Nodes), len(m.Weights))
	}
	if tw.shell.current != ui.PaneArchitecture {
		t.Fatalf("the %s pane shows, not Architecture", tw.shell.current)
	}
	eds := panetest.Find[*graphedit.Editor](tw.shell.body, nil)
	if len(eds) != 1 || eds[0].Len() != len(p.Graph.Nodes) {
		t.Fatalf("the Architecture pane does not show the imported graph")
	}
	if !tw.topLabel(t, "Imported") || !tw.topLabel(t, "ONNX") {
		t.Fatalf("no summary of the import")
	}
	tw.press(t, "OK")

	// Dropping the file imports it too (nothing unsaved to ask about now
	// that the import was saved).
	tw.state.MarkSaved(filepath.Join(dir, "imported.wbproj"))
	tw.state.Project.Name = "Before drop"
	tw.dropped([]fyne.URI{storageURI(path)})
	tw.importJob.Wait()
	if tw.state.Project.Name == "Before drop" {
		t.Fatalf("dropping an .onnx file did not import it")
	}
}

func TestImportListsUnsupportedLayersAndLoadsNothing(t *testing.T) {
	path, _ := sampleONNX(t, t.TempDir(), "Relx")
	tw := newTestWindow(t, panetest.Sample(t), "")
	before := tw.state.Project
	tw.importModel(path)
	tw.importJob.Wait()
	if tw.state.Project != before || tw.state.Dirty() {
		t.Fatalf("a failed import changed the project")
	}
	if !tw.topLabel(t, "Relx") || !tw.topLabel(t, "nothing was imported") {
		t.Fatalf("the dialog does not list the unsupported op")
	}
}

func TestImportOfANonModelSaysWhatItTakes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "model.json")
	os.WriteFile(bad, []byte("{not json"), 0o644)
	tw := newTestWindow(t, panetest.Sample(t), "")
	tw.importModel(bad)
	tw.importJob.Wait()
	if !tw.topLabel(t, "model.json") || tw.state.Project.Name != projects.SampleName {
		t.Fatalf("a broken model.json: no clear message, or the project changed")
	}
}

func TestExportModelWritesWhatImportReadsBack(t *testing.T) {
	dir := t.TempDir()
	path, m := sampleONNX(t, dir, "")
	tw := newTestWindow(t, panetest.Sample(t), "")
	if _, err := tw.exportModel(); err == nil {
		t.Fatalf("an untrained project exported")
	}
	tw.importModel(path)
	tw.importJob.Wait()
	tw.press(t, "OK")
	em, err := tw.exportModel()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"onnx", "npz", "pytorch"} {
		out := filepath.Join(dir, "out-"+f)
		tw.writeExport(f, em, out)
		tw.importJob.Wait()
		if len(tw.lastExport) == 0 || !tw.topLabel(t, "Wrote") {
			t.Fatalf("%s: nothing written", f)
		}
		tw.press(t, "OK")
	}
	back, err := exchange.Read(filepath.Join(dir, "out-onnx"+""), tfjs.Options{})
	if err == nil {
		t.Fatalf("out-onnx has no .onnx extension yet read as %s", back.Format)
	}
	os.Rename(filepath.Join(dir, "out-onnx"), filepath.Join(dir, "back.onnx"))
	back, err = exchange.Read(filepath.Join(dir, "back.onnx"), tfjs.Options{})
	if err != nil || len(back.Weights) != len(m.Weights) {
		t.Fatalf("reading the export back: %v", err)
	}
	for k, w := range m.Weights {
		if !slices.Equal(back.Weights[k].Data, w.Data) {
			t.Fatalf("%s changed through import and export", k)
		}
	}
}
