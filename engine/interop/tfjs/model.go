package tfjs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
)

// maxLayers bounds the layers of one model.
const maxLayers = 100000

type modelFile struct {
	Format          string          `json:"format"`
	ModelTopology   json.RawMessage `json:"modelTopology"`
	WeightsManifest []weightGroup   `json:"weightsManifest"`
}

type kerasLayer struct {
	Name         string          `json:"name"`
	ClassName    string          `json:"class_name"`
	Config       json.RawMessage `json:"config"`
	InboundNodes json.RawMessage `json:"inbound_nodes"`

	cfg    config
	inputs []string // Keras names of the layers feeding this one
}

// Options tune Import.
type Options struct {
	// Preprocess names the normalisation the network was trained with:
	// "caffe" (Keras' ResNet50/VGG: BGR, minus the ImageNet means in 0-255
	// units), "tf" (x/127.5 - 1), "torch" (ImageNet mean and std), "none"
	// (pixels in [0, 1]), or "" / "auto": caffe for the Keras
	// applications known to use it (ResNet50, VGG16, VGG19), else none.
	Preprocess string
	// Labels is the content of a class-label file (a JSON list, a JSON
	// object from index to name, or text with one name per line); nil uses
	// the one found with the model.
	Labels []byte
}

// Import maps the package's model onto the engine. The result has passed
// (*interop.Model).Check.
func Import(pkg *Package, opt Options) (*interop.Model, error) {
	var mf modelFile
	if err := json.Unmarshal(pkg.ModelJSON, &mf); err != nil {
		return nil, badf("%s is not valid model.json (%v)", pkg.Where, err)
	}
	if mf.Format == "graph-model" {
		return nil, badf("%s is a TensorFlow.js graph model; Workbench imports layers models (tensorflowjs_converter --output_format tfjs_layers_model)", pkg.Where)
	}
	if len(mf.ModelTopology) == 0 || bytes.Equal(mf.ModelTopology, []byte("null")) {
		return nil, badf("%s has no modelTopology; it is not a TensorFlow.js layers model", pkg.Where)
	}
	name, layers, inputs, outputs, err := parseTopology(mf.ModelTopology)
	if err != nil {
		return nil, err
	}
	order, err := topoSort(layers)
	if err != nil {
		return nil, err
	}
	ws, err := readWeights(mf.WeightsManifest, pkg.files)
	if err != nil {
		return nil, err
	}
	c := newConverter(ws)
	for _, l := range order {
		c.layer(l)
	}
	if err := c.uns.Err("TensorFlow.js"); err != nil {
		return nil, err
	}
	if c.err != nil {
		return nil, c.err
	}
	if len(outputs) != 1 {
		return nil, &interop.UnsupportedError{Format: "TensorFlow.js", Ops: []string{"multiple outputs"},
			Details: []string{fmt.Sprintf("the model has %d outputs (%s); Workbench models have one", len(outputs), strings.Join(outputs, ", "))}}
	}
	if len(inputs) > 1 {
		return nil, &interop.UnsupportedError{Format: "TensorFlow.js", Ops: []string{"multiple inputs"},
			Details: []string{fmt.Sprintf("the model has %d inputs (%s); Workbench models take one", len(inputs), strings.Join(inputs, ", "))}}
	}
	m := &interop.Model{Name: name, Format: "tfjs", Weights: c.out, SourceLayers: len(layers)}
	for _, w := range ws {
		n := int64(1)
		for _, d := range w.shape {
			n *= int64(d)
		}
		m.SourceParams += n
	}
	outID := c.ids[outputs[0]]
	if outID == "" {
		return nil, badf("the model's output layer %q is not among its layers", outputs[0])
	}
	// A softmax at the end becomes the loss's business, as in every
	// Workbench model: the graph gives logits.
	if n := c.g.Find(outID); n != nil && n.Op == "softmax" {
		outID = n.Inputs[0]
		m.Notes = append(m.Notes, "the final softmax is left out: the graph gives logits and predict applies the softmax")
	}
	c.g = prune(c.g, outID)
	for k := range m.Weights {
		if c.g.Find(strings.SplitN(k, ".", 2)[0]) == nil {
			delete(m.Weights, k)
		}
	}
	var in *graph.Node
	for i := range c.g.Nodes {
		if c.g.Nodes[i].Op == "input" {
			in = &c.g.Nodes[i]
		}
	}
	if in == nil {
		return nil, badf("the model has no input layer")
	}
	m.Input = c.shapes[in.ID]
	if unused := c.unusedWeights(); len(unused) > 0 {
		return nil, badf("the weights manifest holds weights no layer uses (%s); the model.json and its shards do not match", strings.Join(unused, ", "))
	}
	if err := applyPreprocess(m, c, in.ID, opt.Preprocess); err != nil {
		return nil, err
	}
	m.Graph = c.g
	models.Layout(&m.Graph)
	if _, err := m.Check(); err != nil {
		return nil, badf("%v", err)
	}
	labels := opt.Labels
	if labels == nil {
		labels = pkg.Labels
	}
	if labels != nil {
		classes, err := parseLabels(labels)
		if err != nil {
			return nil, err
		}
		a := nn.Analyze(m.Graph, nil)
		if out := a.Nodes[a.Output].Out; len(out) == 1 && out[0] == len(classes) {
			m.Classes = classes
		} else {
			m.Notes = append(m.Notes, fmt.Sprintf("the %d class labels found do not fit the output %v and are not used", len(classes), out))
		}
	}
	return m, nil
}

func parseTopology(raw json.RawMessage) (name string, layers []*kerasLayer, inputs, outputs []string, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return "", nil, nil, nil, badf("modelTopology is not an object (%v)", err)
	}
	if mc, ok := top["model_config"]; ok {
		if err := json.Unmarshal(mc, &top); err != nil {
			return "", nil, nil, nil, badf("model_config is not an object (%v)", err)
		}
	}
	var class string
	json.Unmarshal(top["class_name"], &class)
	cfgRaw := top["config"]
	switch class {
	case "Model", "Functional":
		var cfg struct {
			Name    string            `json:"name"`
			Layers  []*kerasLayer     `json:"layers"`
			Inputs  []json.RawMessage `json:"input_layers"`
			Outputs []json.RawMessage `json:"output_layers"`
		}
		if err := json.Unmarshal(cfgRaw, &cfg); err != nil {
			return "", nil, nil, nil, badf("the model's config is malformed (%v)", err)
		}
		if len(cfg.Layers) > maxLayers {
			return "", nil, nil, nil, badf("the model declares %d layers; at most %d are allowed", len(cfg.Layers), maxLayers)
		}
		for _, l := range cfg.Layers {
			if l == nil {
				return "", nil, nil, nil, badf("the model's layer list holds a null")
			}
			if err := l.parse(); err != nil {
				return "", nil, nil, nil, err
			}
		}
		for _, r := range cfg.Inputs {
			n, _, err := tensorRef(r)
			if err != nil {
				return "", nil, nil, nil, err
			}
			inputs = append(inputs, n)
		}
		for _, r := range cfg.Outputs {
			n, _, err := tensorRef(r)
			if err != nil {
				return "", nil, nil, nil, err
			}
			outputs = append(outputs, n)
		}
		return cfg.Name, cfg.Layers, inputs, outputs, nil
	case "Sequential":
		var cfg struct {
			Name   string        `json:"name"`
			Layers []*kerasLayer `json:"layers"`
		}
		if len(cfgRaw) > 0 && cfgRaw[0] == '[' {
			err = json.Unmarshal(cfgRaw, &cfg.Layers)
		} else {
			err = json.Unmarshal(cfgRaw, &cfg)
		}
		if err != nil {
			return "", nil, nil, nil, badf("the Sequential model's config is malformed (%v)", err)
		}
		if len(cfg.Layers) == 0 || len(cfg.Layers) > maxLayers {
			return "", nil, nil, nil, badf("the Sequential model has %d layers", len(cfg.Layers))
		}
		prev := ""
		for i, l := range cfg.Layers {
			if l == nil {
				return "", nil, nil, nil, badf("the model's layer list holds a null")
			}
			l.InboundNodes = nil
			if err := l.parse(); err != nil {
				return "", nil, nil, nil, err
			}
			if i == 0 && l.ClassName != "InputLayer" {
				shape := l.cfg.raw("batch_input_shape")
				if shape == nil {
					return "", nil, nil, nil, badf("the Sequential model's first layer %s gives no batch_input_shape; Workbench needs the input size", l.Name)
				}
				in := &kerasLayer{Name: uniqueName(cfg.Layers, "input"), ClassName: "InputLayer",
					cfg: config{"batch_input_shape": shape}}
				layers = append(layers, in)
				prev = in.Name
			}
			if prev != "" {
				l.inputs = []string{prev}
			}
			layers = append(layers, l)
			prev = l.Name
		}
		return cfg.Name, layers, []string{layers[0].Name}, []string{prev}, nil
	}
	return "", nil, nil, nil, badf("the model's class %q is neither Model, Functional nor Sequential", class)
}

func uniqueName(layers []*kerasLayer, base string) string {
	taken := map[string]bool{}
	for _, l := range layers {
		taken[l.Name] = true
	}
	n := base
	for i := 1; taken[n]; i++ {
		n = fmt.Sprintf("%s_%d", base, i)
	}
	return n
}

func (l *kerasLayer) parse() error {
	if l.Name == "" {
		return badf("a layer of class %q has no name", l.ClassName)
	}
	if l.cfg == nil {
		l.cfg = config{}
		if len(l.Config) > 0 && !bytes.Equal(l.Config, []byte("null")) {
			if err := json.Unmarshal(l.Config, &l.cfg); err != nil {
				return badf("layer %s: config is not an object (%v)", l.Name, err)
			}
		}
	}
	if len(l.InboundNodes) == 0 {
		return nil
	}
	var calls []json.RawMessage
	if err := json.Unmarshal(l.InboundNodes, &calls); err != nil {
		return badf("layer %s: inbound_nodes is malformed (%v)", l.Name, err)
	}
	if len(calls) > 1 {
		return &interop.UnsupportedError{Format: "TensorFlow.js", Ops: []string{"shared layer"},
			Details: []string{fmt.Sprintf("layer %s is called %d times", l.Name, len(calls))}}
	}
	if len(calls) == 0 {
		return nil
	}
	var refs []json.RawMessage
	if err := json.Unmarshal(calls[0], &refs); err != nil {
		return badf("layer %s: inbound_nodes is malformed (%v)", l.Name, err)
	}
	for _, r := range refs {
		n, node, err := tensorRef(r)
		if err != nil {
			return badf("layer %s: %v", l.Name, err)
		}
		if node != 0 {
			return &interop.UnsupportedError{Format: "TensorFlow.js", Ops: []string{"shared layer"},
				Details: []string{fmt.Sprintf("layer %s reads call %d of layer %s", l.Name, node, n)}}
		}
		l.inputs = append(l.inputs, n)
	}
	return nil
}

// tensorRef parses ["layer", node index, tensor index, {kwargs}].
func tensorRef(r json.RawMessage) (string, int, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(r, &parts); err != nil || len(parts) < 3 {
		return "", 0, badf("a tensor reference %s is not [layer, node, tensor]", clip(string(r)))
	}
	var name string
	var node, idx float64
	if json.Unmarshal(parts[0], &name) != nil || json.Unmarshal(parts[1], &node) != nil || json.Unmarshal(parts[2], &idx) != nil || name == "" {
		return "", 0, badf("a tensor reference %s is not [layer, node, tensor]", clip(string(r)))
	}
	if idx != 0 {
		return "", 0, &interop.UnsupportedError{Format: "TensorFlow.js", Ops: []string{"multi-output layer"},
			Details: []string{fmt.Sprintf("output %g of layer %s is used", idx, name)}}
	}
	return name, int(node), nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// topoSort orders the layers so that each comes after its inputs, and
// refuses references to missing layers and cycles.
func topoSort(layers []*kerasLayer) ([]*kerasLayer, error) {
	by := map[string]*kerasLayer{}
	for _, l := range layers {
		if _, dup := by[l.Name]; dup {
			return nil, badf("two layers are called %q", l.Name)
		}
		by[l.Name] = l
	}
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var order []*kerasLayer
	// Iterative depth-first search: a hostile file may chain 100k layers.
	type frame struct {
		l    *kerasLayer
		next int
	}
	for _, root := range layers {
		if state[root.Name] != unseen {
			continue
		}
		stack := []frame{{l: root}}
		state[root.Name] = active
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(f.l.inputs) {
				in := f.l.inputs[f.next]
				f.next++
				dep, ok := by[in]
				if !ok {
					return nil, badf("layer %s reads layer %q, which the model does not have", f.l.Name, in)
				}
				switch state[in] {
				case active:
					return nil, badf("the layer graph has a cycle through %s and %s; a model must be acyclic", f.l.Name, in)
				case unseen:
					state[in] = active
					stack = append(stack, frame{l: dep})
				}
				continue
			}
			state[f.l.Name] = done
			order = append(order, f.l)
			stack = stack[:len(stack)-1]
		}
	}
	return order, nil
}

// prune keeps the nodes the output depends on.
func prune(g graph.Graph, out string) graph.Graph {
	keep := map[string]bool{}
	stack := []string{out}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if keep[id] {
			continue
		}
		keep[id] = true
		if n := g.Find(id); n != nil {
			stack = append(stack, n.Inputs...)
		}
	}
	var nodes []graph.Node
	for _, n := range g.Nodes {
		if keep[n.ID] {
			nodes = append(nodes, n)
		}
	}
	return graph.Graph{Nodes: nodes}
}

var nonID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// parseLabels reads a JSON list, a JSON object from index to name, or one
// name per line. Underscores become spaces ("bald_eagle" -> "bald eagle").
func parseLabels(b []byte) ([]string, error) {
	tidy := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "_", " ")) }
	var list []string
	if json.Unmarshal(b, &list) == nil {
		for i := range list {
			list[i] = tidy(list[i])
		}
		return list, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err == nil {
		out := make([]string, len(obj))
		for k, v := range obj {
			var i int
			if _, err := fmt.Sscanf(k, "%d", &i); err != nil || i < 0 || i >= len(obj) || fmt.Sprint(i) != k {
				return nil, badf("the class labels map %q, which is not an index 0..%d", k, len(obj)-1)
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				var pair []string // Keras' imagenet_class_index: ["n01440764", "tench"]
				if json.Unmarshal(v, &pair) != nil || len(pair) == 0 {
					return nil, badf("class label %s is neither a string nor [id, name]", k)
				}
				s = pair[len(pair)-1]
			}
			out[i] = tidy(s)
		}
		return out, nil
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) || bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		return nil, badf("the class labels file is malformed JSON; give a list, an object from index to name, or one name per line")
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			list = append(list, tidy(line))
		}
	}
	return list, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
