package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/projects"
)

func summaryJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, errs := call(t, append([]string{"summary", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("summary %v: exit %d: %s", args, code, errs)
	}
	d := lastJSON(t, out)
	if d["event"] != "done" {
		t.Fatalf("last event %v", d)
	}
	return d
}

func ints(v any) []int {
	l, _ := v.([]any)
	out := make([]int, len(l))
	for i, x := range l {
		f, _ := x.(float64)
		out[i] = int(f)
	}
	return out
}

func TestSummaryResNet18MatchesTorchvision(t *testing.T) {
	d := summaryJSON(t, "--model", "resnet18")
	// torchvision's resnet18: 11,689,512 parameters, 1.814 G multiply-adds.
	if d["params"] != 11689512.0 || d["macs"] != 1814073344.0 || d["flops"] != 2*1814073344.0 {
		t.Fatalf("params %v macs %v flops %v", d["params"], d["macs"], d["flops"])
	}
	if !slices.Equal(ints(d["input"]), []int{3, 224, 224}) || !slices.Equal(ints(d["output"]), []int{1000}) {
		t.Errorf("input %v output %v", d["input"], d["output"])
	}
	layers, _ := d["layers"].([]any)
	g, _ := models.Graph("resnet18", []int{3, 224, 224}, 1000)
	if len(layers) != len(g.Nodes) {
		t.Fatalf("%d layers, the graph has %d nodes", len(layers), len(g.Nodes))
	}
	var params, acts, macs float64
	for i, l := range layers {
		m := l.(map[string]any)
		for _, k := range []string{"name", "type", "output", "params", "activations", "macs", "flops"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("layer %d lacks %q: %v", i, k, m)
			}
		}
		if m["flops"] != 2*m["macs"].(float64) {
			t.Errorf("layer %v: flops %v, macs %v", m["name"], m["flops"], m["macs"])
		}
		params += m["params"].(float64)
		macs += m["macs"].(float64)
		if m["type"] != "input" {
			acts += m["activations"].(float64)
		}
	}
	if params != d["params"] || macs != d["macs"] || acts != d["activations"] {
		t.Errorf("layer sums params %v macs %v activations %v; totals %v %v %v", params, macs, acts, d["params"], d["macs"], d["activations"])
	}
	first := layers[1].(map[string]any)
	if first["name"] != "conv1" || !slices.Equal(ints(first["output"]), []int{64, 112, 112}) || first["rf"] != 7.0 {
		t.Errorf("first layer %v", first)
	}
}

// Must-show 2 through the CLI.
func TestSummaryCourseInception(t *testing.T) {
	for name, want := range map[string]struct {
		macs  float64
		depth int
	}{"inception-naive": {854196224, 672}, "inception-reduced": {271351808, 480}} {
		d := summaryJSON(t, "--model", name)
		if d["macs"] != want.macs || !slices.Equal(ints(d["output"]), []int{want.depth, 28, 28}) {
			t.Errorf("%s: macs %v output %v, want %v and depth %d", name, d["macs"], d["output"], want.macs, want.depth)
		}
	}
	code, out, errs := call(t, "summary", "--model", "inception-naive")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, w := range []string{"layer", "output", "RF", "inception.branch3.conv", "481,689,600", "854,196,224", "672x28x28"} {
		if !strings.Contains(out, w) {
			t.Errorf("human table lacks %q:\n%s", w, out)
		}
	}
}

func TestSummaryMemoryTotals(t *testing.T) {
	d := summaryJSON(t, "--model", "vgg16", "--batch", "8")
	acts, fwd, pb := d["activations"].(float64), d["forward_bytes"].(float64), d["param_bytes"].(float64)
	if fwd != 4*(3*224*224+acts) || pb != 4*138357544 {
		t.Errorf("forward_bytes %v (activations %v), param_bytes %v", fwd, acts, pb)
	}
	if d["batch"] != 8.0 || d["train_bytes"] != 8*2*fwd+2*pb {
		t.Errorf("batch %v train_bytes %v", d["batch"], d["train_bytes"])
	}
}

func TestSummaryAdaptsModel(t *testing.T) {
	d := summaryJSON(t, "--model", "lenet5", "--input", "1,28,28", "--classes", "10")
	if d["params"] != 61706.0 || !slices.Equal(ints(d["output"]), []int{10}) {
		t.Errorf("lenet5 at 1x28x28: params %v output %v", d["params"], d["output"])
	}
	d = summaryJSON(t, "--model", "mlp2", "--input", "784", "--classes", "10")
	if d["params"] != float64(784*100+100+100*10+10) {
		t.Errorf("mlp2 on 784 features: params %v", d["params"])
	}
}

func TestSummaryProject(t *testing.T) {
	g, err := models.Graph("ref-cnn", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	p := projects.New("summary test")
	p.Graph = g
	p.Hyper.Batch = 32
	path := filepath.Join(t.TempDir(), "p.wbproj")
	if err := projects.Save(p, path); err != nil {
		t.Fatal(err)
	}
	d := summaryJSON(t, "--project", path)
	if d["params"] != 421642.0 || d["batch"] != 32.0 || d["project"] != path {
		t.Errorf("params %v batch %v project %v", d["params"], d["batch"], d["project"])
	}
	// --input overrides the project's input: 32x32 gives 8x8x64 before fc1.
	d = summaryJSON(t, "--project", path, "--input", "1,32,32")
	if d["params"] != float64(320+18496+64*8*8*128+128+1290) {
		t.Errorf("at 1x32x32: params %v", d["params"])
	}
	code, _, errs := call(t, "summary", "--project", path, "--classes", "3")
	if code != 2 {
		t.Fatalf("--classes with --project: exit %d", code)
	}
	oneErrorLine(t, errs, "--classes")

	// A graph with an error is bad input, named on its node.
	bad := p.Clone()
	var nodes []graph.Node
	for _, n := range bad.Graph.Nodes {
		switch n.ID {
		case "flatten":
			continue
		case "fc1":
			n.Inputs = []string{"pool2"}
		}
		nodes = append(nodes, n)
	}
	bad.Graph.Nodes = nodes
	badPath := filepath.Join(t.TempDir(), "bad.wbproj")
	if err := projects.Save(bad, badPath); err != nil {
		t.Fatal(err)
	}
	code, _, errs = call(t, "summary", "--project", badPath)
	if code != 2 {
		t.Fatalf("broken graph: exit %d", code)
	}
	oneErrorLine(t, errs, "fc1", "Flatten")
}

func TestSummaryBadUsageExitsTwoWithOneLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"summary"}, "--model"},
		{[]string{"summary", "--model", "vgg16", "--project", "x.wbproj"}, "either"},
		{[]string{"summary", "--model", "resnet9000"}, "resnet18"},
		{[]string{"summary", "--model", "vgg16", "--input", "3,32"}, "C,H,W"},
		{[]string{"summary", "--model", "vgg16", "--input", "3,0,32"}, "1 to 8192"},
		{[]string{"summary", "--model", "vgg16", "--classes", "0"}, "--classes"},
		{[]string{"summary", "--model", "vgg16", "--batch", "0"}, "--batch"},
		{[]string{"summary", "--model", "resnet18", "--input", "784"}, "C,H,W"},
		{[]string{"summary", "--model", "inception-naive", "--classes", "10"}, "no classifier"},
		{[]string{"summary", "--project", filepath.Join(t.TempDir(), "missing.wbproj")}, "missing.wbproj"},
		{[]string{"summary", "resnet18"}, "--model NAME"},
	} {
		code, _, errs := call(t, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, code, errs)
			continue
		}
		oneErrorLine(t, errs, c.want)
	}
}
