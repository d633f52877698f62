package onnx

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
)

// Tensor is a dense float32 array in row-major order.
type Tensor = interop.Tensor

// Model is an imported network: an ordinary Workbench graph plus the values
// of its parameters and running statistics, named as nn.Model.State names
// them ("conv1.weight", "bn1.running_mean"), with what the ONNX file said
// about itself.
type Model struct {
	interop.Model
	// Opset is the version of the default ONNX operator set the file uses.
	Opset    int
	Producer string
	// InputName and OutputName are the ONNX names of the graph's input and
	// output.
	InputName, OutputName string
}

// unsupported is returned by a mapper for a node it cannot map.
type unsupported struct{ why string }

func (u unsupported) Error() string { return u.why }

func notMapped(format string, args ...any) error { return unsupported{fmt.Sprintf(format, args...)} }

// batchSym stands for the batch dimension in folded shape arithmetic.
const batchSym = math.MinInt64 / 4

// value is what an ONNX value name holds during import: a constant, or the
// output of an engine node with its per-example shape (the ONNX shape
// without the batch dimension).
type value struct {
	c     *constant
	node  string
	shape []int
}

type importer struct {
	opset   int
	vals    map[string]*value
	g       graph.Graph
	index   map[string]int // node ID → position in g.Nodes
	weights map[string]Tensor
	uses    map[string]int // ONNX value name → readers (nodes and graph outputs)
	batch   int64          // the input's fixed batch size, or -1
	bad     map[string]string
	shapes  map[string][]int // engine node ID → its per-example output shape
	input   string           // the ONNX name of the graph input
}

// Import reads an ONNX model file and maps it onto engine/nn layers.
func Import(data []byte) (*Model, error) {
	m, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return FromProto(m)
}

// FromProto maps a decoded model.
func FromProto(m *onnxpb.ModelProto) (*Model, error) {
	im := &importer{vals: map[string]*value{}, index: map[string]int{}, weights: map[string]Tensor{},
		uses: map[string]int{}, bad: map[string]string{}, shapes: map[string][]int{}, batch: -1}
	for _, os := range m.GetOpsetImport() {
		if d := os.GetDomain(); d == "" || d == "ai.onnx" {
			im.opset = int(os.GetVersion())
		}
	}
	if im.opset == 0 {
		im.opset = 1
	}
	if im.opset < 7 {
		return nil, inputErrorf("the model uses ONNX opset %d; opset 7 or later is imported (re-export with a newer exporter, e.g. torch.onnx.export(..., opset_version=13))", im.opset)
	}
	g := m.GetGraph()
	for _, t := range g.GetInitializer() {
		c, err := tensorConst(t)
		if err != nil {
			return nil, err
		}
		if t.GetName() == "" {
			return nil, inputErrorf("an initializer has no name")
		}
		im.vals[t.GetName()] = &value{c: c}
	}
	in, err := im.graphInput(g)
	if err != nil {
		return nil, err
	}
	if len(g.GetOutput()) != 1 {
		return nil, inputErrorf("the graph has %d outputs; Workbench imports models with one output (the logits)", len(g.GetOutput()))
	}
	outName := g.GetOutput()[0].GetName()
	for _, n := range g.GetNode() {
		for _, s := range n.GetInput() {
			im.uses[s]++
		}
	}
	im.uses[outName]++
	order, err := topoSort(g.GetNode(), im.vals)
	if err != nil {
		return nil, err
	}
	for _, n := range order {
		if err := im.node(n); err != nil {
			return nil, err
		}
	}
	if len(im.bad) > 0 {
		var u interop.Unsupported
		ops := make([]string, 0, len(im.bad))
		for op := range im.bad {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			detail := ""
			if w := im.bad[op]; w != "" {
				detail = op + ": " + w
			}
			u.Add(op, detail)
		}
		return nil, u.Err("ONNX")
	}
	out := im.vals[outName]
	if out == nil {
		return nil, inputErrorf("the graph output %q is computed by no node", outName)
	}
	if out.c != nil {
		return nil, inputErrorf("the graph output %q does not depend on the input", outName)
	}
	if out.node == "input" {
		if out, err = im.add("identity", "output", nil, out); err != nil {
			return nil, err
		}
	}
	res := &Model{Opset: im.opset, Producer: m.GetProducerName(), InputName: im.input, OutputName: outName}
	res.Format, res.Input, res.Weights = "onnx", in, map[string]Tensor{}
	res.Name = strings.TrimSpace(g.GetName())
	if res.Name == "" || res.Name == "main_graph" || res.Name == "torch_jit" || res.Name == "torch-jit-export" {
		res.Name = "Imported ONNX model"
	}
	res.Notes = append(res.Notes, strings.TrimSpace(fmt.Sprintf("ONNX opset %d, written by %s %s", im.opset, m.GetProducerName(), m.GetProducerVersion())))
	res.Graph = im.prune(out.node)
	for _, n := range res.Graph.Nodes {
		for k, t := range im.weights {
			if strings.HasPrefix(k, n.ID+".") {
				res.Weights[k] = t
			}
		}
	}
	models.Layout(&res.Graph)
	a := nn.Analyze(res.Graph, in)
	if err := a.Err(); err != nil {
		return nil, fmt.Errorf("the imported graph does not check: %v", err)
	}
	if a.Output != out.node {
		return nil, fmt.Errorf("the imported graph ends at %s, not at the model's output %s", a.Output, out.node)
	}
	res.SourceParams, res.SourceLayers = a.Params, len(g.GetNode())
	return res, nil
}

// graphInput finds the one input that is not an initializer and returns
// its per-example shape.
func (im *importer) graphInput(g *onnxpb.GraphProto) ([]int, error) {
	var found *onnxpb.ValueInfoProto
	for _, v := range g.GetInput() {
		if _, init := im.vals[v.GetName()]; init {
			continue
		}
		if found != nil {
			return nil, inputErrorf("the graph has two inputs (%q and %q); Workbench models take one image batch", found.GetName(), v.GetName())
		}
		found = v
	}
	if found == nil {
		return nil, inputErrorf("the graph has no input")
	}
	tt := found.GetType().GetTensorType()
	if tt == nil {
		return nil, inputErrorf("the input %q is not a tensor", found.GetName())
	}
	if et := onnxpb.TensorProto_DataType(tt.GetElemType()); et != onnxpb.TensorProto_FLOAT {
		return nil, inputErrorf("the input %q holds %s; Workbench models take float32 images", found.GetName(), et)
	}
	dims := tt.GetShape().GetDim()
	if len(dims) != 4 && len(dims) != 2 {
		return nil, inputErrorf("the input %q has rank %d; Workbench imports image models (N,C,H,W) and vector models (N,F)", found.GetName(), len(dims))
	}
	if d, ok := dims[0].GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
		im.batch = d.DimValue
	}
	shape := make([]int, len(dims)-1)
	for k, d := range dims[1:] {
		v, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue)
		limit := int64(maxInputSide)
		if k == 0 {
			limit = maxInputChannel
		}
		if !ok || v.DimValue < 1 || v.DimValue > limit {
			return nil, inputErrorf("the input %q needs fixed sizes from 1 to %d after the batch dimension, has %v; export with a fixed input size", found.GetName(), limit, dimString(dims))
		}
		shape[k] = int(v.DimValue)
	}
	n := graph.Node{ID: "input", Op: "input", Attrs: map[string]float64{"channels": float64(shape[0])}}
	if len(shape) == 3 {
		n.Attrs["height"], n.Attrs["width"] = float64(shape[1]), float64(shape[2])
	} else {
		n.Attrs["height"], n.Attrs["width"] = 0, 0
	}
	im.index[n.ID] = len(im.g.Nodes)
	im.g.Nodes = append(im.g.Nodes, n)
	im.vals[found.GetName()] = &value{node: "input", shape: shape}
	im.shapes["input"] = shape
	im.input = found.GetName()
	return shape, nil
}

func dimString(dims []*onnxpb.TensorShapeProto_Dimension) string {
	parts := make([]string, len(dims))
	for k, d := range dims {
		switch v := d.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			parts[k] = fmt.Sprint(v.DimValue)
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			parts[k] = v.DimParam
		default:
			parts[k] = "?"
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// topoSort orders the nodes so that each comes after the producers of its
// inputs; it reports inputs that nothing produces and cycles.
func topoSort(nodes []*onnxpb.NodeProto, known map[string]*value) ([]*onnxpb.NodeProto, error) {
	producer := map[string]int{}
	for k, n := range nodes {
		for _, o := range n.GetOutput() {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, inputErrorf("the value %q is produced by two nodes", o)
			}
			if _, init := known[o]; init {
				return nil, inputErrorf("the value %q is both an initializer or input and a node output", o)
			}
			producer[o] = k
		}
	}
	indeg := make([]int, len(nodes))
	readers := make([][]int, len(nodes))
	for k, n := range nodes {
		for _, s := range n.GetInput() {
			if s == "" {
				continue
			}
			if p, ok := producer[s]; ok {
				indeg[k]++
				readers[p] = append(readers[p], k)
			} else if _, ok := known[s]; !ok {
				return nil, inputErrorf("node %q (%s) reads %q, which no node, initializer or input provides", n.GetName(), n.GetOpType(), s)
			}
		}
	}
	var queue, order []int
	for k := range nodes {
		if indeg[k] == 0 {
			queue = append(queue, k)
		}
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		order = append(order, k)
		for _, r := range readers[k] {
			if indeg[r]--; indeg[r] == 0 {
				queue = append(queue, r)
			}
		}
	}
	if len(order) != len(nodes) {
		for k, d := range indeg {
			if d > 0 {
				return nil, inputErrorf("the graph has a cycle through node %q (%s); ONNX graphs must be acyclic", nodes[k].GetName(), nodes[k].GetOpType())
			}
		}
	}
	out := make([]*onnxpb.NodeProto, len(order))
	for k, i := range order {
		out[k] = nodes[i]
	}
	return out, nil
}

// node maps one ONNX node.
func (im *importer) node(n *onnxpb.NodeProto) error {
	op := n.GetOpType()
	if len(n.GetOutput()) == 0 || n.GetOutput()[0] == "" {
		return inputErrorf("node %q (%s) has no output", n.GetName(), op)
	}
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		im.bad[d+":"+op] = "custom domain"
		im.poison(n)
		return nil
	}
	ins := make([]*value, len(n.GetInput()))
	poisoned := false
	for k, s := range n.GetInput() {
		if s == "" {
			continue
		}
		ins[k] = im.vals[s]
		if ins[k] == nil {
			poisoned = true
		}
	}
	mapper, known := mappers[op]
	if !known {
		im.bad[op] = ""
		im.poison(n)
		return nil
	}
	if poisoned {
		im.poison(n)
		return nil
	}
	allConst := true
	for _, v := range ins {
		if v != nil && v.c == nil {
			allConst = false
		}
	}
	if f, ok := folders[op]; ok && (allConst || op == "Shape") {
		outs, err := f(im, n, ins)
		if err != nil {
			var u unsupported
			if errors.As(err, &u) {
				im.bad[op] = u.why
				im.poison(n)
				return nil
			}
			return err
		}
		for k, c := range outs {
			if c.numel() > maxFoldedElems {
				return inputErrorf("node %q (%s) makes a constant of %d elements; at most %d are folded", n.GetName(), op, c.numel(), maxFoldedElems)
			}
			if k < len(n.GetOutput()) && n.GetOutput()[k] != "" {
				im.vals[n.GetOutput()[k]] = &value{c: c}
			}
		}
		return nil
	}
	if mapper == nil {
		im.bad[op] = "only with constant inputs"
		im.poison(n)
		return nil
	}
	for k, o := range n.GetOutput() {
		if k > 0 && o != "" && im.uses[o] > 0 {
			im.bad[op] = fmt.Sprintf("output %d is used", k+1)
			im.poison(n)
			return nil
		}
	}
	out, err := mapper(im, n, ins)
	if err != nil {
		var u unsupported
		if errors.As(err, &u) {
			im.bad[op] = u.why
			im.poison(n)
			return nil
		}
		return fmt.Errorf("node %q (%s): %w", n.GetName(), op, err)
	}
	im.vals[n.GetOutput()[0]] = out
	return nil
}

func (im *importer) poison(n *onnxpb.NodeProto) {
	for _, o := range n.GetOutput() {
		delete(im.vals, o)
	}
}

// add appends an engine node reading ins and returns its output value.
// hint names it (the ONNX node or its weights' prefix).
func (im *importer) add(op, hint string, attrs map[string]float64, ins ...*value) (*value, error) {
	o, ok := nn.Lookup(op)
	if !ok {
		return nil, fmt.Errorf("engine op %s is missing", op)
	}
	for k, v := range attrs {
		var spec *nn.Attr
		for i := range o.Attrs {
			if o.Attrs[i].Name == k {
				spec = &o.Attrs[i]
			}
		}
		if spec == nil {
			return nil, fmt.Errorf("engine op %s has no attribute %s", op, k)
		}
		if v < spec.Min || v > spec.Max || math.IsNaN(v) || spec.Int && v != math.Trunc(v) {
			return nil, notMapped("%s %g is outside what %s takes (%g to %g)", k, v, op, spec.Min, spec.Max)
		}
	}
	id := im.uniqueID(hint)
	n := graph.Node{ID: id, Op: op, Attrs: attrs}
	shapes := make([][]int, len(ins))
	for k, v := range ins {
		if v == nil || v.c != nil {
			return nil, fmt.Errorf("input %d of %s is not computed from the image", k+1, op)
		}
		n.Inputs = append(n.Inputs, v.node)
		shapes[k] = v.shape
	}
	out, err := o.Infer(&n, shapes)
	if err != nil {
		return nil, inputErrorf("%v", err)
	}
	im.index[id] = len(im.g.Nodes)
	im.g.Nodes = append(im.g.Nodes, n)
	im.shapes[id] = out
	return &value{node: id, shape: out}, nil
}

// setParam stores a parameter of node id after checking its shape against
// what the engine op expects.
func (im *importer) setParam(id, name string, shape []int, data []float32) error {
	n := &im.g.Nodes[im.index[id]]
	o, _ := nn.Lookup(n.Op)
	var in [][]int
	for _, s := range n.Inputs {
		in = append(in, im.shapes[s])
	}
	for _, ps := range o.Params(n, in) {
		if ps.Name == name {
			if !sameInts(ps.Shape, shape) && len(data) == numel(ps.Shape) {
				shape = ps.Shape
			}
			if !sameInts(ps.Shape, shape) {
				return inputErrorf("%s of %s has shape %v; the layer needs %v", name, id, shape, ps.Shape)
			}
			im.weights[id+"."+name] = Tensor{Shape: append([]int(nil), shape...), Data: data}
			return nil
		}
	}
	if strings.HasPrefix(name, "running_") {
		im.weights[id+"."+name] = Tensor{Shape: append([]int(nil), shape...), Data: data}
		return nil
	}
	return fmt.Errorf("engine op %s has no parameter %s", n.Op, name)
}

func (im *importer) uniqueID(hint string) string {
	id := sanitize(hint)
	if id == "" {
		id = "node"
	}
	base := id
	for k := 2; ; k++ {
		if _, taken := im.index[id]; !taken {
			return id
		}
		id = fmt.Sprintf("%s_%d", base, k)
	}
}

// sanitize turns an ONNX name ("/layer1/layer1.0/conv1/Conv") into a node
// ID ("layer1.layer1.0.conv1.Conv").
func sanitize(s string) string {
	s = strings.Trim(s, "/:. ")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		case r == '/' || r == ':':
			b.WriteRune('.')
		default:
			b.WriteRune('_')
		}
		if b.Len() >= 80 {
			break
		}
	}
	return strings.Trim(b.String(), ".")
}

// prune keeps the nodes the output depends on.
func (im *importer) prune(out string) graph.Graph {
	keep := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		if keep[id] {
			return
		}
		keep[id] = true
		for _, in := range im.g.Nodes[im.index[id]].Inputs {
			visit(in)
		}
	}
	visit(out)
	var g graph.Graph
	for _, n := range im.g.Nodes {
		if keep[n.ID] {
			g.Nodes = append(g.Nodes, n)
		}
	}
	return g
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
