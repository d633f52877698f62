package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/projects"
)

func init() {
	register(Command{
		Name:    "summary",
		Summary: "per-layer table of a model: output shapes, parameters, activations, multiply-adds, memory",
		Usage: `workbench summary (--model NAME | --project FILE) [--input C,H,W] [--classes K] [--batch B] [flags]

Prints, per layer, the output volume, the parameters, the activations (output
values per image), the multiply-adds and the receptive field, then the totals
in the style of the course's VGG-16 table: parameters, forward memory per
image, an estimate for forward+backward at batch B, multiply-adds.

What is counted:
  macs      multiply-adds of convolutions and fully connected layers only, as
            the course counts them (bias additions not included); flops = 2 x macs.
  other_ops the rest, reported apart: pooling window reads, activation
            functions, normalisation, residual adds.
  activations  output values of every layer but the input, per image.
  forward_bytes  (input + activations) x 4 bytes per image: every layer's
            output as float32, as this engine keeps them for the backward pass.
  train_bytes  batch x 2 x forward_bytes (activations and their gradients)
            + 2 x param_bytes (weights and gradients); optimizer state comes on
            top (momentum one more param_bytes, Adam two).

--model takes a zoo name (torchvision's where it has the model) and adapts it
to --input (default: the model's usual input, 3,224,224 for ImageNet models)
and --classes (default: its usual classes). Models:
  ` + wrapNames(models.Names(), 76) + `
The course's Inception module examples (default input 256,28,28):
  ` + strings.Join(models.Examples(), ", ") + `

--project reads the architecture from a project file; --input overrides its
input shape.

Examples:
  workbench summary --model vgg16
  workbench summary --model resnet18 --input 3,32,32 --classes 10 --json
  workbench summary --model inception-naive`,
		Flags: func(fs *flag.FlagSet) {
			fs.String("model", "", "zoo model name (see the list above)")
			fs.String("project", "", "project file (.wbproj) whose architecture to summarise")
			fs.String("input", "", "input shape C,H,W (or F for a feature vector); default: the model's or project's")
			fs.Int("classes", 0, "number of classes for --model (default: the model's usual)")
			fs.Int("batch", 0, "batch size for the training memory estimate (default: the project's, else 64)")
		},
		Run: runSummary,
	})
}

func wrapNames(names []string, width int) string {
	var b strings.Builder
	line := 0
	for i, n := range names {
		if i > 0 {
			if line+2+len(n) > width {
				b.WriteString(",\n  ")
				line = 0
			} else {
				b.WriteString(", ")
				line += 2
			}
		}
		b.WriteString(n)
		line += len(n)
	}
	return b.String()
}

// parseShape reads "C,H,W" (or "CxHxW") or a single feature count.
func parseShape(s string) ([]int, error) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == 'x' || r == 'X' || r == ' ' })
	if len(parts) != 3 && len(parts) != 1 {
		return nil, usageErrorf("--input %q: give C,H,W (e.g. 3,32,32) or one feature count", s)
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 || v > 8192 {
			return nil, usageErrorf("--input %q: every size must be a whole number from 1 to 8192", s)
		}
		out[i] = v
	}
	return out, nil
}

func runSummary(c *Ctx) error {
	if len(c.Args) > 0 {
		return usageErrorf("summary takes no positional arguments (got %q); use --model NAME or --project FILE", c.Args[0])
	}
	set := map[string]bool{}
	c.Flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	name := c.Flags.Lookup("model").Value.String()
	path := c.Flags.Lookup("project").Value.String()
	classes, _ := strconv.Atoi(c.Flags.Lookup("classes").Value.String())
	batch, _ := strconv.Atoi(c.Flags.Lookup("batch").Value.String())
	if (name == "") == (path == "") {
		return usageErrorf("give either --model NAME or --project FILE (run 'workbench summary --help' for the model names)")
	}
	if set["batch"] && batch < 1 {
		return usageErrorf("--batch %d: use 1 or more", batch)
	}
	var input []int
	if set["input"] {
		var err error
		if input, err = parseShape(c.Flags.Lookup("input").Value.String()); err != nil {
			return err
		}
	}
	g, source, input, classes, batch, err := summaryGraph(set, name, path, input, classes, batch)
	if err != nil {
		return err
	}
	if batch < 1 {
		batch = 64
	}
	s, err := models.Summarize(g, input)
	if err != nil {
		return summaryErrors(source, s, err)
	}
	fields := map[string]any{
		"params":        s.Params,
		"activations":   s.Activations,
		"macs":          s.MACs,
		"flops":         2 * s.MACs,
		"other_ops":     s.OtherOps,
		"forward_bytes": s.ForwardBytes,
		"param_bytes":   s.ParamBytes,
		"train_bytes":   s.TrainBytes(batch),
		"batch":         batch,
		"input":         s.Input,
		"output":        s.Output,
	}
	if name != "" {
		fields["model"] = name
		if classes > 0 {
			fields["classes"] = classes
		}
	} else {
		fields["project"] = path
	}
	if c.JSON {
		fields["layers"] = summaryLayers(s)
		c.Done(fields)
		return nil
	}
	writeSummaryTable(c.Stdout, s)
	writeSummaryTotals(c.Stdout, s, name, path, batch)
	// The totals above are the human form of the done fields.
	c.Done(nil)
	return nil
}

// summaryGraph resolves --model (adapted to --input and --classes) or
// --project into the graph to summarise. It returns the graph, what it
// came from, the input shape still to apply (nil when the graph's input
// node has it), the classes and the batch size.
func summaryGraph(set map[string]bool, name, path string, input []int, classes, batch int) (graph.Graph, string, []int, int, int, error) {
	if name == "" {
		if set["classes"] {
			return graph.Graph{}, "", nil, 0, 0, usageErrorf("--classes applies to --model; a project's classes are set by its last layer (edit it in the app)")
		}
		p, err := projects.Open(path)
		if err != nil {
			return graph.Graph{}, "", nil, 0, 0, usageErrorf("%v", err)
		}
		if !set["batch"] && p.Hyper.Batch > 0 {
			batch = p.Hyper.Batch
		}
		return p.Graph, path, input, classes, batch, nil
	}
	defIn, defClasses, ok := models.Defaults(name)
	switch {
	case !ok:
		return graph.Graph{}, "", nil, 0, 0, usageErrorf("unknown model %q; choose one of %s", name, strings.Join(append(models.Names(), models.Examples()...), ", "))
	case set["classes"] && defClasses == 0:
		return graph.Graph{}, "", nil, 0, 0, usageErrorf("--classes does not apply to %s: it is a module with no classifier", name)
	case set["classes"] && classes < 1:
		return graph.Graph{}, "", nil, 0, 0, usageErrorf("--classes %d: use 1 or more", classes)
	case !set["classes"]:
		classes = defClasses
	}
	if input == nil {
		input = defIn
	}
	g, err := models.Graph(name, input, classes)
	if err != nil {
		return graph.Graph{}, "", nil, 0, 0, usageErrorf("%v", err)
	}
	return g, name, nil, classes, batch, nil
}

// summaryErrors names up to three of the graph's problems, with their fixes.
func summaryErrors(source string, s *models.Summary, err error) error {
	var msgs []string
	for i, e := range s.Errors {
		if i == 3 {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(s.Errors)-3))
			break
		}
		m := e.Error()
		if e.Fix != "" {
			m += " (" + e.Fix + ")"
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		msgs = []string{err.Error()}
	}
	return usageErrorf("%s has errors: %s", source, strings.Join(msgs, "; "))
}

// summaryLayers are the per-layer objects of the done event.
func summaryLayers(s *models.Summary) []map[string]any {
	layers := make([]map[string]any, len(s.Layers))
	for i, l := range s.Layers {
		m := map[string]any{"name": l.Name, "id": l.ID, "type": l.Type, "output": l.Output, "params": l.Params,
			"activations": l.Activations, "macs": l.MACs, "flops": 2 * l.MACs, "other_ops": l.OtherOps}
		if l.RF > 0 {
			m["rf"] = l.RF
		}
		if l.Block != "" {
			m["block"] = l.Block
		}
		layers[i] = m
	}
	return layers
}

// writeSummaryTotals prints the totals under the table for people.
func writeSummaryTotals(w io.Writer, s *models.Summary, name, path string, batch int) {
	head := "model"
	if name == "" {
		head, name = "project", path
	}
	totals := [][2]string{
		{head, name},
		{"input", shapeText(s.Input)},
		{"output", shapeText(s.Output)},
		{"params", fmt.Sprintf("%s (%s as float32)", grouped(s.Params), byteText(s.ParamBytes))},
		{"activations", grouped(s.Activations) + " values per image"},
		{"forward memory", byteText(s.ForwardBytes) + " per image (input and every layer's output)"},
		{"training memory", fmt.Sprintf("%s at batch %d (forward+backward: activations and their gradients, weights and gradients)",
			byteText(s.TrainBytes(batch)), batch)},
		{"multiply-adds", fmt.Sprintf("%s (%s; %sFLOPs) in convolutions and fully connected layers",
			grouped(s.MACs), siText(s.MACs), siText(2*s.MACs))},
		{"other ops", grouped(s.OtherOps) + " (pooling, activations, normalisation, merges)"},
	}
	fmt.Fprintln(w)
	for _, t := range totals {
		fmt.Fprintf(w, "%-16s %s\n", t[0], t[1])
	}
}

// writeSummaryTable prints the per-layer table for people.
func writeSummaryTable(w io.Writer, s *models.Summary) {
	head := []string{"layer", "type", "output", "params", "activations", "MACs", "RF"}
	rows := [][]string{head}
	for _, l := range s.Layers {
		rf := ""
		if l.RF > 0 {
			rf = strconv.Itoa(l.RF)
		}
		rows = append(rows, []string{l.Name, l.Type, shapeText(l.Output), grouped(l.Params), grouped(l.Activations),
			grouped(l.MACs), rf})
	}
	rows = append(rows, []string{"total", "", "", grouped(s.Params), grouped(s.Activations), grouped(s.MACs), ""})
	widths := make([]int, len(head))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len(cell))
		}
	}
	for k, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			if i >= 3 { // numbers right-aligned
				fmt.Fprintf(&b, "  %*s", widths[i], cell)
			} else {
				fmt.Fprintf(&b, "%-*s  ", widths[i], cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if k == 0 || k == len(rows)-2 {
			fmt.Fprintln(w, strings.Repeat("-", len(strings.TrimRight(b.String(), " "))))
		}
	}
}

func shapeText(s []int) string {
	if s == nil {
		return "?"
	}
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, "x")
}

// grouped writes n with thousands separators: 1,814,073,344.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func siText(n int64) string {
	f := float64(n)
	switch {
	case f >= 1e9:
		return fmt.Sprintf("%.2f G", f/1e9)
	case f >= 1e6:
		return fmt.Sprintf("%.2f M", f/1e6)
	case f >= 1e3:
		return fmt.Sprintf("%.2f k", f/1e3)
	}
	return strconv.FormatInt(n, 10)
}

// byteText writes a size as the summary table does (models.ByteText).
func byteText(n int64) string { return models.ByteText(n) }
