package main

import (
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/projects/stylenet"
)

// train-style trains a fast style transfer network (engine/style's
// TrainFast) and viz style --fast applies one.

func init() {
	register(Command{
		Name:    "train-style",
		Summary: "train a fast style transfer network (Johnson et al.) on a perceptual network's losses; several styles by conditional instance norm",
		Usage: `workbench train-style --project PERCEPTUAL.wbproj --style FILE... --content-data D --save OUT.wbproj [options]

Trains a feed-forward transformation network (conv 9×9, two stride-2 convs,
5 residual blocks, two ×2 upsampling stages, conv 9×9; conditional instance
norm and ReLU; sigmoid output) so that one forward pass renders a photo in
the style of each --style image: content loss at --content-layer, Gram
style losses at --layers and total variation of the output, all through the
perceptual network of --project (e.g. an imported ResNet-50), Adam.
With several --style images the network holds them all (one gamma and
beta per style in every normalisation layer) and steps take turns.
--content-data is a folder of image files, image files (comma-separated)
or a dataset (cifar10, a zip, ...); training uses random crops of it at
--size pixels. --save writes a project that 'viz style --fast' and the
Dream & Style pane open; it is written every --every steps and at the end.
The done event has loss_start, loss (mean of the last tenth of the steps),
steps, seconds and files.

Example:
  workbench train-style --project r50.wbproj --style scream.jpg --content-data photos/ \
      --size 128 --steps 300 --batch 2 --save scream.wbproj`,
		Flags: func(fs *flag.FlagSet) {
			fs.String("project", "", "the perceptual network: a trained or imported project (required)")
			fs.String("checkpoint", "last", "perceptual weights: last or best")
			fs.Var(&imageList{}, "style", "style image files (repeat or comma-separate; required)")
			fs.String("content-data", "", "content images: a folder of image files, files (comma list) or a dataset spec (required)")
			fs.Int("limit", 2000, "most content images to read")
			fs.Int("size", 256, "side of the square training crops (a multiple of 4)")
			fs.Int("steps", 200, "optimizer steps")
			fs.Int("batch", 4, "content crops per step")
			fs.Float64("lr", 1e-3, "Adam learning rate")
			fs.Float64("content-weight", 1, "content loss weight")
			fs.Float64("style-weight", 1e5, "style loss weight")
			fs.Float64("tv", 0, "total-variation weight")
			fs.String("layers", "", "style layers of the perceptual network, LAYER[:WEIGHT],... (default: 4 ReLUs spread over the first half)")
			fs.String("content-layer", "", "content layer (default a ReLU at 40% depth)")
			fs.Int("width", 32, "channels of the first layer (the deeper ones have 2× and 4×)")
			fs.Int("every", 0, "save every N steps (0: a quarter of the steps)")
			fs.String("save", "", "the project file to write the network to (required)")
		},
		Run: runTrainStyle,
	})
}

// fastStyleSetup is what train-style checked before training.
type fastStyleSetup struct {
	per     *attribTarget
	styles  []style.Image
	names   []string
	content []style.Image
	opt     style.FastTrainOptions
	save    string
}

func parseTrainStyle(c *Ctx) (*fastStyleSetup, error) {
	s := &fastStyleSetup{save: flagStr(c, "save")}
	files := splitList(flagStr(c, "style"))
	switch {
	case flagStr(c, "project") == "":
		return nil, usageErrorf("--project FILE is required: the perceptual network (e.g. an imported ResNet-50 project)")
	case len(files) == 0:
		return nil, usageErrorf("--style FILE is required: one or more style images")
	case flagStr(c, "content-data") == "":
		return nil, usageErrorf("--content-data D is required: a folder of photos, image files or a dataset such as cifar10")
	case s.save == "":
		return nil, usageErrorf("--save OUT.wbproj is required: where the trained network goes")
	}
	size := flagInt(c, "size")
	if size < 16 || size > 1024 || size%4 != 0 {
		return nil, usageErrorf("--size %d: use a multiple of 4 from 16 to 1024", size)
	}
	for name, v := range map[string]int{"steps": flagInt(c, "steps"), "batch": flagInt(c, "batch"), "width": flagInt(c, "width"), "limit": flagInt(c, "limit")} {
		if v < 1 || v > 1_000_000 {
			return nil, usageErrorf("--%s %d: use a positive number", name, v)
		}
	}
	for _, name := range []string{"lr", "content-weight", "style-weight", "tv"} {
		if v := flagNum(c, name); v < 0 || v != v {
			return nil, usageErrorf("--%s %v: use a number >= 0", name, v)
		}
	}
	if err := projects.CheckTarget(s.save, projects.SaveOptions{}); err != nil {
		return nil, usageErrorf("--save %s: %v", s.save, err)
	}
	per, err := openPerceptual(c)
	if err != nil {
		return nil, err
	}
	s.per = per
	for _, f := range files {
		x, err := data.ReadImageFile(f, 3, size, size, false)
		if err != nil {
			return nil, usageErrorf("--style: %v", err)
		}
		s.styles = append(s.styles, style.Image{Pix: x, Shape: []int{3, size, size}})
		s.names = append(s.names, strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)))
	}
	if s.content, err = readContent(c, flagStr(c, "content-data"), size, flagInt(c, "limit")); err != nil {
		return nil, err
	}
	layers, err := styleLayers(c, per.net)
	if err != nil {
		return nil, err
	}
	cl, err := oneLayer(c, per.net, "content-layer", 0.4)
	if err != nil {
		return nil, err
	}
	s.opt = style.FastTrainOptions{Size: size, Steps: flagInt(c, "steps"), Batch: flagInt(c, "batch"), LR: flagNum(c, "lr"),
		ContentLayer: cl, ContentWeight: flagNum(c, "content-weight"), StyleLayers: layers, StyleWeight: flagNum(c, "style-weight"),
		TV: flagNum(c, "tv"), Seed: uint64(c.Seed), Every: flagInt(c, "every")}
	return s, nil
}

// openPerceptual opens --project at its own input size (the network runs
// on the training crops' size anyway: its layers up to the deepest loss
// layer are convolutional).
func openPerceptual(c *Ctx) (*attribTarget, error) {
	p, err := openProjectFile(flagStr(c, "project"), "project")
	if err != nil {
		return nil, err
	}
	a := nn.Analyze(p.Graph, nil)
	if err := a.Err(); err != nil {
		return nil, usageErrorf("the project's architecture has a problem: %v", err)
	}
	in := append([]int(nil), a.Nodes[a.Input].Out...)
	if len(in) != 3 || in[0] != 3 {
		return nil, usageErrorf("the perceptual network must take colour images (3,H,W); this one takes %v", in)
	}
	net, dev, err := netAt(c, p, in)
	if err != nil {
		return nil, err
	}
	return &attribTarget{proj: p, net: net, device: dev}, nil
}

// readContent reads the content images: image files (a folder of them or a
// comma list) at twice the training size, or a dataset's training images
// at their own size.
func readContent(c *Ctx, spec string, size, limit int) ([]style.Image, error) {
	var files []string
	if st, err := os.Stat(spec); err == nil && st.IsDir() {
		ents, err := os.ReadDir(spec)
		if err != nil {
			return nil, usageErrorf("--content-data %s: %v", spec, err)
		}
		for _, e := range ents {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".jpg", ".jpeg", ".png", ".gif":
				files = append(files, filepath.Join(spec, e.Name()))
			}
		}
		if len(files) == 0 {
			// A dataset folder (class subfolders) rather than photos.
			return datasetContent(c, spec, limit)
		}
	} else if ext := strings.ToLower(filepath.Ext(spec)); ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".gif" || strings.Contains(spec, ",") {
		files = splitList(spec)
	} else {
		return datasetContent(c, spec, limit)
	}
	var out []style.Image
	for _, f := range files[:min(len(files), limit)] {
		x, err := data.ReadImageFile(f, 3, 2*size, 2*size, false)
		if err != nil {
			return nil, usageErrorf("--content-data: %v", err)
		}
		out = append(out, style.Image{Pix: x, Shape: []int{3, 2 * size, 2 * size}})
	}
	return out, nil
}

func datasetContent(c *Ctx, spec string, limit int) ([]style.Image, error) {
	ds, err := data.Load(c.Context, spec, data.Options{LimitTrain: limit, Channels: 3, Seed: c.Seed, Threads: c.Threads})
	if err != nil {
		return nil, usageErrorf("--content-data %s: %v", spec, err)
	}
	set := ds.Train
	if set.Len() == 0 {
		set = ds.Test
	}
	if set.Len() == 0 || set.H < 4 || set.W < 4 {
		return nil, usageErrorf("--content-data %s has no images to train on", spec)
	}
	out := make([]style.Image, 0, min(set.Len(), limit))
	for i := range min(set.Len(), limit) {
		px := set.Image(i)
		x := make([]float32, len(px))
		for j, v := range px {
			x[j] = float32(v) / 255
		}
		out = append(out, style.Image{Pix: x, Shape: []int{3, set.H, set.W}})
	}
	return out, nil
}

func runTrainStyle(c *Ctx) error {
	start := time.Now()
	cpu.SetThreads(c.Threads)
	train.SetThreads(c.Threads)
	s, err := parseTrainStyle(c)
	if err != nil {
		return err
	}
	net, err := style.NewFastNet(s.per.net.Model.B, style.FastConfig{Width: flagInt(c, "width"), Styles: len(s.styles)}, s.names, uint64(c.Seed))
	if err != nil {
		return err
	}
	var files []string
	bar := c.Progress("train-style", s.opt.Steps)
	o := s.opt
	o.Progress = func(st style.FastStep) {
		bar.Set(st.Step)
		c.Emit("step", map[string]any{"step": st.Step, "style": st.Style, "loss": st.Loss, "content": st.Content, "style_loss": st.StyleLoss, "tv": st.TV, "seconds": st.Seconds})
	}
	o.Checkpoint = func(step int) error {
		if err := saveFastStyle(net, s, step); err != nil {
			return err
		}
		files = []string{s.save}
		return nil
	}
	res, err := style.TrainFast(c.Context, s.per.net, net, s.styles, s.content, o)
	bar.Finish()
	if err != nil {
		return err
	}
	c.Done(map[string]any{"loss_start": res.LossStart, "loss": res.Loss, "steps": res.Steps, "seconds": time.Since(start).Seconds(),
		"train_seconds": res.Seconds, "files": files, "styles": s.names, "content_images": len(s.content), "content_layer": s.opt.ContentLayer,
		"layers": s.opt.StyleLayers, "size": s.opt.Size, "device": s.per.device})
	return nil
}

// saveFastStyle writes the network to its own project.
func saveFastStyle(net *style.FastNet, s *fastStyleSetup, step int) error {
	m := stylenet.Meta{Perceptual: s.per.proj.Name, ContentLayer: s.opt.ContentLayer, Size: s.opt.Size, Steps: step,
		StyleWeight: s.opt.StyleWeight, ContentWeight: s.opt.ContentWeight, TV: s.opt.TV}
	if err := stylenet.Save(s.save, net, m); err != nil {
		return fmt.Errorf("saving %s: %v", s.save, err)
	}
	return nil
}

// openFastStyle opens a project written by train-style.
func openFastStyle(c *Ctx, path string) (*style.FastNet, error) {
	p, err := openProjectFile(path, "fast")
	if err != nil {
		return nil, err
	}
	b, err := chooseBackend(c)
	if err != nil {
		return nil, err
	}
	net, _, err := stylenet.FromProject(p, b)
	if err != nil {
		return nil, usageErrorf("--fast %s: %v", path, err)
	}
	return net, nil
}

// runVizFastStyle stylises --content with a trained network (viz style --fast).
func runVizFastStyle(c *Ctx, out string) error {
	start := time.Now()
	cpu.SetThreads(c.Threads)
	net, err := openFastStyle(c, flagStr(c, "fast"))
	if err != nil {
		return err
	}
	files := splitList(flagStr(c, "content"))
	if len(files) == 0 {
		return usageErrorf("viz style --fast needs --content FILE (one or more photos, comma-separated)")
	}
	var blend []float64
	for _, v := range splitList(flagStr(c, "blend")) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return usageErrorf("--blend %s: %q is not a number", flagStr(c, "blend"), v)
		}
		blend = append(blend, f)
	}
	if _, err := net.CheckBlend(blend); err != nil {
		return usageErrorf("--blend: %v", err)
	}
	size := flagInt(c, "size")
	if size == 0 {
		size = 256
	}
	if size < 16 || size > 2048 || size%4 != 0 {
		return usageErrorf("--size %d: use a multiple of 4 from 16 to 2048", size)
	}
	w, done, err := vizOutput(out, "style")
	if err != nil {
		return err
	}
	var secs float64
	var strip []image.Image
	for _, f := range files {
		x, err := data.ReadImageFile(f, 3, size, size, false)
		if err != nil {
			return usageErrorf("--content: %v", err)
		}
		t0 := time.Now()
		y, err := net.Stylise(style.Image{Pix: x, Shape: []int{3, size, size}}, blend)
		if err != nil {
			return usageErrorf("%v", err)
		}
		secs += time.Since(t0).Seconds()
		img := attrib.PixelImage(y.Pix, 3, size, size)
		name := "fast-" + strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if err := w.write(name, img); err != nil {
			return err
		}
		strip = append(strip, attrib.PixelImage(x, 3, size, size), img)
	}
	if err := writeStrip(w, "fast-beside-source", strip...); err != nil {
		return err
	}
	done["styles"], done["blend"], done["size"], done["images"] = net.Styles, blend, size, len(files)
	done["stylise_seconds"], done["seconds"], done["steps"] = secs, time.Since(start).Seconds(), 1
	w.finish(c, done)
	return nil
}

// addFastStyleFlags declares viz style's --fast.
func addFastStyleFlags(fs *flag.FlagSet) {
	fs.String("fast", "", "style: a network trained by train-style (.wbproj): stylise --content in one pass, --blend weighs its styles")
}
