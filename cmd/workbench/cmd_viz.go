package main

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/inspect"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// vizKinds are the visualisations this version offers (attribKinds: see
// cmd_viz_attrib.go; dreamKinds: cmd_viz_dream.go).
var vizKinds = append(append([]string{"filters", "activations", "patches", "neighbors"}, attribKinds...), dreamKinds...)

func init() {
	register(Command{
		Name:    "viz",
		Summary: "visualise what a trained model learned as PNG files: filters, activations, patches, neighbors, saliency maps, class visualisation, fooling",
		Usage: `workbench viz KIND --project FILE [options] --out DIR

KIND is one of:
  filters      each convolution's filters: the first layer's as one tile per
               filter (colour on RGB input), deeper ones a row per filter and a
               column per input channel; each filter normalised on its own.
               --checkpoints adds the filters of every saved checkpoint.
  activations  every layer's output for one image (--image, --split) as a
               grid of channel maps, normalised per layer or per channel.
  patches      the --top image patches that most activate each of a layer's
               channels (--channel, or the first 8), cropped by each unit's
               exact receptive field; padding outside the image is grey.
  neighbors    for --queries test images, the nearest training images by L2
               distance in a layer's features beside those in pixel space.

Images come from the project's dataset (or --data). Files are written to
DIR (created if needed); the done event lists them.

Examples:
  workbench viz filters --project run.wbproj --out viz/
  workbench viz activations --project run.wbproj --image 12 --out viz/
  workbench viz patches --project run.wbproj --layer conv2 --channel 5 --out viz/
  workbench viz neighbors --project run.wbproj --layer relu3 --queries 6 --out viz/
  workbench viz gradcam --project resnet50.wbproj --image eagle.jpg --out viz/
  workbench viz fool --project run.wbproj --limit 100 --out viz/` + attribUsage + dreamUsage + textureUsage,
		Flags: func(fs *flag.FlagSet) {
			addDataFlags(fs)
			fs.String("project", "", "project file (.wbproj) with a trained model (required)")
			fs.String("out", "", "folder to write the PNG files to (required)")
			fs.String("checkpoint", "last", "weights: last (the current weights) or best (best validation accuracy)")
			fs.String("layer", "", "layer to show (filters: default every convolution; patches: default the last convolution; neighbors: default the input of the last fully connected layer; activations: comma-separated list, default all)")
			fs.Var(&imageList{}, "image", "activations: index of the image in the split; attribution kinds: image files (repeat or comma-separate)")
			addAttribFlags(fs)
			addDreamFlags(fs)
			addFastStyleFlags(fs)
			fs.String("split", "test", "images from the test or train split")
			fs.String("norm", inspect.NormLayer, "activations: normalise maps per layer or per channel")
			fs.Int("channel", -1, "patches: channel to show (-1: the first 8)")
			fs.Int("top", 9, "patches: patches per channel")
			fs.Int("queries", 8, "neighbors: number of test images to query (the first of each class in turn)")
			fs.Int("k", 8, "neighbors: neighbours per query")
			fs.Int("scale", 0, "pixels per value when enlarging small images (0: automatic)")
			fs.Bool("checkpoints", false, "filters: also render the filters of every checkpoint saved in the project")
		},
		Run: runViz,
	})
}

// inspectTarget is a project's model ready for inspection, with its data.
type inspectTarget struct {
	proj *projects.Project
	net  inspect.Net
	ds   *data.Dataset
}

// openInspectTarget opens --project, loads the dataset (the project's
// unless --data is given), builds the model with the --checkpoint weights
// and the project's preprocessing.
func openInspectTarget(c *Ctx) (*inspectTarget, error) {
	path := flagStr(c, "project")
	if path == "" {
		return nil, usageErrorf("--project FILE is required (a project saved by 'workbench train --save FILE')")
	}
	p, err := openProjectFile(path, "project")
	if err != nil {
		return nil, err
	}
	if len(p.Graph.Nodes) == 0 {
		return nil, usageErrorf("%s has no architecture to inspect", path)
	}
	set := flagsSet(c)
	df := dataFlagsOf(c)
	if !set["data"] {
		if p.Dataset.Spec == "" {
			return nil, usageErrorf("the project names no dataset; give --data D")
		}
		*df.spec = p.Dataset.Spec
		if !set["limit-test"] {
			*df.limitTest = p.Dataset.LimitTest
		}
		if !set["limit-train"] {
			*df.limitTrain = p.Dataset.LimitTrain
		}
		if !set["val"] {
			*df.val = p.Dataset.Val
		}
	}
	if !set["seed"] && p.Hyper.Seed != 0 {
		c.Seed = p.Hyper.Seed // the same subsets as in training
	}
	cpu.SetThreads(c.Threads)
	train.SetThreads(c.Threads)
	b, err := chooseBackend(c)
	if err != nil {
		return nil, err
	}
	ds, err := df.load(c)
	if err != nil {
		return nil, err
	}
	s := ds.Test
	if s.Len() == 0 {
		s = ds.Train
	}
	if s.Len() == 0 {
		return nil, usageErrorf("dataset %s has no images", df.Spec())
	}
	in := []int{s.C, s.H, s.W}
	m, err := buildModel(p.Graph, in, b, 1, "default")
	if err != nil {
		return nil, err
	}
	w, err := projectWeights(p, flagStr(c, "checkpoint"))
	if err != nil {
		return nil, err
	}
	if loaded, skipped := train.LoadMatching(m, w); len(skipped) > 0 {
		return nil, usageErrorf("%s: its weights do not fit its architecture (%d loaded, missing or misshapen: %v)", path, len(loaded), skipped)
	}
	stats, err := projectStats(p, in[0], in[1], in[2])
	if err != nil {
		return nil, err
	}
	return &inspectTarget{proj: p, net: inspect.Net{Model: m, Stats: stats}, ds: ds}, nil
}

// split returns the --split images.
func (t *inspectTarget) split(c *Ctx) (*data.Set, error) {
	switch flagStr(c, "split") {
	case "", "test":
		if t.ds.Test.Len() == 0 {
			return nil, usageErrorf("the dataset has no test images; use --split train")
		}
		return t.ds.Test, nil
	case "train":
		if t.ds.Train.Len() == 0 {
			return nil, usageErrorf("the dataset has no training images; use --split test")
		}
		return t.ds.Train, nil
	}
	return nil, usageErrorf("--split %q: use test or train", flagStr(c, "split"))
}

// layer checks that name is a layer of the model (a usage error if not).
func (t *inspectTarget) layer(name string) error {
	if _, err := t.net.Shape(name); err != nil {
		return usageErrorf("--layer %s: %v", name, err)
	}
	return nil
}

// penultimate is the input of the last fully connected layer (the
// features a classifier reads), or the layer before the output.
func penultimate(n inspect.Net) string {
	a := n.Model.Analysis
	for i := len(a.Order) - 1; i >= 0; i-- {
		if node := n.Model.Node(a.Order[i]); node.Op == "linear" && len(node.Inputs) == 1 {
			return node.Inputs[0]
		}
	}
	if len(a.Order) > 1 {
		return a.Order[len(a.Order)-2]
	}
	return a.Output
}

// projectSnapshots lists the weight sets a project holds, for filter
// evolution: every run's checkpoints (a run's "last" checkpoint keeps its
// weights in the project's current weights, so only the newest run's
// last one has them).
func projectSnapshots(p *projects.Project) []inspect.Snapshot {
	var out []inspect.Snapshot
	for ri, r := range p.Runs {
		for _, ck := range r.Checkpoints {
			w := p.Group(ck.Group + "/weights")
			if len(w) == 0 && ck.Name == train.KindLast && ri == len(p.Runs)-1 {
				w = p.Group(projects.GroupWeights)
			}
			if len(w) == 0 {
				continue
			}
			out = append(out, inspect.Snapshot{Label: fmt.Sprintf("%s-%s-epoch%d", r.ID, ck.Name, ck.Epoch), Epoch: ck.Epoch, Weights: w})
		}
	}
	return out
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// pngWriter writes images into --out and remembers the files.
type pngWriter struct {
	dir   string
	files []string
}

// vizOutput makes the folder out and returns a writer into it and the done
// fields, which start with the kind.
func vizOutput(out, kind string) (*pngWriter, map[string]any, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, nil, usageErrorf("--out %s: cannot create the folder: %v", out, err)
	}
	return &pngWriter{dir: out}, map[string]any{"kind": kind}, nil
}

// finish reports done with the files written.
func (w *pngWriter) finish(c *Ctx, done map[string]any) {
	done["files"] = w.files
	c.Done(done)
}

func (w *pngWriter) write(name string, img image.Image) error {
	path := filepath.Join(w.dir, unsafeName.ReplaceAllString(name, "_")+".png")
	if err := writeOutput(path, "out", outputPNG, false, func(f io.Writer) error { return png.Encode(f, img) }); err != nil {
		return err
	}
	w.files = append(w.files, path)
	return nil
}

func runViz(c *Ctx) error {
	if len(c.Args) == 0 {
		return usageErrorf("viz needs a KIND: %s (e.g. workbench viz filters --project FILE --out DIR)", strings.Join(vizKinds, ", "))
	}
	if len(c.Args) > 1 {
		return usageErrorf("viz takes one KIND, got %q", strings.Join(c.Args, " "))
	}
	kind := c.Args[0]
	known := false
	for _, k := range vizKinds {
		known = known || k == kind
	}
	if !known {
		return usageErrorf("unknown viz kind %q: this version offers %s", kind, strings.Join(vizKinds, ", "))
	}
	out := flagStr(c, "out")
	if out == "" {
		return usageErrorf("--out DIR is required: the folder for the PNG files")
	}
	for name, v := range map[string]int{"top": flagInt(c, "top"), "queries": flagInt(c, "queries"), "k": flagInt(c, "k")} {
		if v < 1 || v > 1000 {
			return usageErrorf("--%s %d: use 1 to 1000", name, v)
		}
	}
	if s := flagInt(c, "scale"); s < 0 || s > 64 {
		return usageErrorf("--scale %d: use 0 (automatic) to 64", s)
	}
	if isAttribKind(kind) {
		return runVizAttrib(c, kind, out)
	}
	if kind == "style" && flagStr(c, "fast") != "" {
		return runVizFastStyle(c, out)
	}
	if isDreamKind(kind) {
		return runVizDream(c, kind, out)
	}
	t, err := openInspectTarget(c)
	if err != nil {
		return err
	}
	w, done, err := vizOutput(out, kind)
	if err != nil {
		return err
	}
	viz := map[string]func(*Ctx, *inspectTarget, *pngWriter, map[string]any) error{
		"filters": vizFilters, "activations": vizActivations, "patches": vizPatches, "neighbors": vizNeighbors,
	}[kind]
	if err := viz(c, t, w, done); err != nil {
		return err
	}
	w.finish(c, done)
	return nil
}

func vizFilters(c *Ctx, t *inspectTarget, w *pngWriter, done map[string]any) error {
	layers := inspect.ConvLayers(t.net.Model.Graph)
	if l := flagStr(c, "layer"); l != "" {
		if err := t.layer(l); err != nil {
			return err
		}
		if t.net.Model.Node(l).Op != "conv2d" {
			return usageErrorf("--layer %s is a %s, not a convolution; filters exist for %s", l, t.net.Model.Node(l).Op, strings.Join(layers, ", "))
		}
		layers = []string{l}
	}
	if len(layers) == 0 {
		return usageErrorf("the model has no convolution, so no filters to show")
	}
	state := t.net.Model.State()
	scale := flagInt(c, "scale")
	for _, l := range layers {
		wt := state[l+".weight"]
		img, err := inspect.FilterGrid(wt.Shape, wt.Data(), scale)
		if err != nil {
			return err
		}
		if err := w.write("filters-"+l, img); err != nil {
			return err
		}
		if flagStr(c, "checkpoints") == "true" {
			snaps := projectSnapshots(t.proj)
			if len(snaps) == 0 {
				return usageErrorf("--checkpoints: the project holds no checkpoints (train with --save to keep them)")
			}
			frames, err := inspect.FilterEvolution(snaps, l, scale)
			if err != nil {
				return usageErrorf("--checkpoints: %v", err)
			}
			for _, f := range frames {
				if err := w.write("filters-"+l+"-"+f.Label, f.Image); err != nil {
					return err
				}
			}
		}
	}
	done["layers"] = layers
	return nil
}

func vizActivations(c *Ctx, t *inspectTarget, w *pngWriter, done map[string]any) error {
	s, err := t.split(c)
	if err != nil {
		return err
	}
	i := flagInt(c, "image")
	if i < 0 || i >= s.Len() {
		return usageErrorf("--image %d: the %s split has images 0 to %d", i, flagStr(c, "split"), s.Len()-1)
	}
	norm := flagStr(c, "norm")
	if norm != inspect.NormLayer && norm != inspect.NormChannel {
		return usageErrorf("--norm %q: use layer or channel", norm)
	}
	want := map[string]bool{}
	for _, l := range splitList(flagStr(c, "layer")) {
		if err := t.layer(l); err != nil {
			return err
		}
		want[l] = true
	}
	acts, err := t.net.Activations(s, i)
	if err != nil {
		return usageErrorf("%v", err)
	}
	pic, err := inspect.PixelImage(s.Image(i), s.C, s.H, s.W)
	if err != nil {
		return err
	}
	if err := w.write(fmt.Sprintf("image-%d", i), pic); err != nil {
		return err
	}
	var layers []string
	for k, a := range acts {
		if a.Layer == t.net.Model.Analysis.Input || (len(want) > 0 && !want[a.Layer]) {
			continue
		}
		img, err := a.Grid(norm, flagInt(c, "scale"))
		if err != nil {
			return err
		}
		if err := w.write(fmt.Sprintf("activations-%d-%02d-%s", i, k, a.Layer), img); err != nil {
			return err
		}
		layers = append(layers, a.Layer)
	}
	done["image"], done["label"], done["layers"] = i, s.Classes[s.Labels[i]], layers
	return nil
}

func lastConv(n inspect.Net) string {
	convs := inspect.ConvLayers(n.Model.Graph)
	if len(convs) == 0 {
		return ""
	}
	return convs[len(convs)-1]
}

func vizPatches(c *Ctx, t *inspectTarget, w *pngWriter, done map[string]any) error {
	s, err := t.split(c)
	if err != nil {
		return err
	}
	layer := flagStr(c, "layer")
	if layer == "" {
		if layer = lastConv(t.net); layer == "" {
			return usageErrorf("the model has no convolution; name a layer with --layer")
		}
	}
	if err := t.layer(layer); err != nil {
		return err
	}
	shape, _ := t.net.Shape(layer)
	channels := []int{}
	if ch := flagInt(c, "channel"); ch >= 0 {
		if ch >= shape[0] {
			return usageErrorf("--channel %d: layer %s has channels 0 to %d", ch, layer, shape[0]-1)
		}
		channels = append(channels, ch)
	} else {
		for ch := range min(8, shape[0]) {
			channels = append(channels, ch)
		}
	}
	rf, err := inspect.NewReceptiveFields(t.net.Model.Graph, t.net.Input())
	if err != nil {
		return err
	}
	field, _ := rf.Field(layer)
	var summary []map[string]any
	bar := c.Progress("patches of "+layer, len(channels)*s.Len())
	for n, ch := range channels {
		ps, err := t.net.TopPatches(c.Context, s, layer, ch, flagInt(c, "top"), inspect.PatchOptions{
			Progress: func(d, _ int) { bar.Set(n*s.Len() + d) }})
		if err != nil {
			bar.Finish()
			return usageErrorf("%v", err)
		}
		img, err := inspect.PatchGrid(s, ps, inspect.GridOptions{Scale: flagInt(c, "scale")})
		if err != nil {
			bar.Finish()
			return err
		}
		if err := w.write(fmt.Sprintf("patches-%s-%d", layer, ch), img); err != nil {
			bar.Finish()
			return err
		}
		for _, p := range ps {
			summary = append(summary, map[string]any{"channel": ch, "image": p.Image, "y": p.Y, "x": p.X, "value": p.Value,
				"box": []int{p.Box.Min.X, p.Box.Min.Y, p.Box.Max.X, p.Box.Max.Y}})
		}
	}
	bar.Finish()
	done["layer"], done["channels"], done["patches"] = layer, channels, summary
	if field.Global {
		done["receptive_field"] = "whole image"
	} else {
		done["receptive_field"] = map[string]any{"size": field.Size, "jump": field.Jump, "offset": field.Offset}
	}
	return nil
}

func vizNeighbors(c *Ctx, t *inspectTarget, w *pngWriter, done map[string]any) error {
	layer := flagStr(c, "layer")
	if layer == "" {
		layer = penultimate(t.net)
	}
	if err := t.layer(layer); err != nil {
		return err
	}
	if t.ds.Train.Len() == 0 || t.ds.Test.Len() == 0 {
		return usageErrorf("neighbors needs training images (the pool) and test images (the queries)")
	}
	k := flagInt(c, "k")
	if k > t.ds.Train.Len() {
		return usageErrorf("--k %d is more than the %d training images", k, t.ds.Train.Len())
	}
	q := data.FirstPerClass(t.ds.Test, flagInt(c, "queries")) // every class, not the first of a class-ordered split
	bar := c.Progress("features of "+layer, t.ds.Train.Len())
	nb, err := t.net.LayerNeighbours(c.Context, t.ds.Test, q, t.ds.Train, layer, k, inspect.FeatureOptions{Progress: func(d, _ int) { bar.Set(d) }})
	bar.Finish()
	if err != nil {
		return err
	}
	img, err := inspect.NeighbourGrid(t.ds.Test, t.ds.Train, nb, flagInt(c, "scale"))
	if err != nil {
		return err
	}
	if err := w.write("neighbors-"+layer, img); err != nil {
		return err
	}
	// Label agreement: how often the neighbours share the query's class.
	agree := func(list func(inspect.Neighbours) []int) float64 {
		same, all := 0, 0
		for _, r := range nb {
			for _, i := range list(r) {
				all++
				if t.ds.Train.Labels[i] == t.ds.Test.Labels[r.Query] {
					same++
				}
			}
		}
		return float64(same) / float64(max(all, 1))
	}
	var rows []map[string]any
	for _, r := range nb {
		rows = append(rows, map[string]any{"query": r.Query, "feature": r.Feature, "pixel": r.Pixel})
	}
	sort.Slice(rows, func(a, b int) bool { return rows[a]["query"].(int) < rows[b]["query"].(int) })
	done["layer"], done["neighbors"] = layer, rows
	done["same_class_feature"] = agree(func(r inspect.Neighbours) []int { return r.Feature })
	done["same_class_pixel"] = agree(func(r inspect.Neighbours) []int { return r.Pixel })
	return nil
}
