package stylenet

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/projects"
)

// Kinds of error FromProject and Open return (for errors.Is), besides the
// projects package's own for a file that cannot be read.
var (
	// ErrNotFastStyle: the project is not a fast style-transfer network
	// (another model, or a graph that is not a transformation network).
	ErrNotFastStyle = errors.New("not a fast-style network")
	// ErrWeights: the project is a fast-style network whose weights do not
	// fit its graph (missing, or of other shapes).
	ErrWeights = errors.New("the network's weights do not fit it")
)

// Keys of the metadata in a project's Inspect settings.
const (
	keyPerceptual    = "faststyle.perceptual"
	keyContentLayer  = "faststyle.content_layer"
	keySteps         = "faststyle.steps"
	keySize          = "faststyle.size"
	keyStyleWeight   = "faststyle.style_weight"
	keyContentWeight = "faststyle.content_weight"
	keyTV            = "faststyle.tv"
)

// Meta is what a saved network records about its training beside the
// weights. The style names are the network's own (FastNet.Styles).
type Meta struct {
	// Perceptual names the network whose losses it was trained on.
	Perceptual string
	// ContentLayer is the perceptual layer of the content loss.
	ContentLayer string
	// Size is the side of the square training crops; Steps the optimizer
	// steps taken when it was saved.
	Size, Steps int
	// StyleWeight, ContentWeight and TV weigh the losses.
	StyleWeight, ContentWeight, TV float64
}

// Error is the error FromProject and Open return for a project that cannot
// be used as a fast-style network: Kind is ErrNotFastStyle or ErrWeights.
type Error struct {
	Kind    error
	Path    string // the file, when opened from one
	Problem string
	Fix     string
}

func (e *Error) Error() string {
	msg := e.Problem
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	if e.Path != "" {
		msg = e.Path + ": " + msg
	}
	return msg
}

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

const trainFix = "train one with workbench train-style or the Dream & Style pane's Fast style mode"

// Project is net with its metadata as a project, ready for projects.Save.
// The weights are copied, so net may train on while the project is saved.
func Project(net *style.FastNet, m Meta) *projects.Project {
	names := make([]string, len(net.Styles))
	for i, n := range net.Styles {
		// The names are stored one a line.
		names[i] = strings.NewReplacer("\n", " ", "\r", " ").Replace(n)
	}
	p := projects.New("fast style: " + strings.Join(names, ", "))
	p.Graph = net.Model.Graph
	p.Dataset.C, p.Dataset.H, p.Dataset.W = 3, m.Size, m.Size
	p.Inspect.Strings = map[string]string{style.FastStyleKey: style.FastStyleString(names),
		keyPerceptual: m.Perceptual, keyContentLayer: m.ContentLayer}
	p.Inspect.Numbers = map[string]float64{keySteps: float64(m.Steps), keySize: float64(m.Size),
		keyStyleWeight: m.StyleWeight, keyContentWeight: m.ContentWeight, keyTV: m.TV}
	p.Tensors = map[string]projects.Tensor{}
	for k, t := range net.Weights() {
		p.Tensors[projects.GroupWeights+"/"+k] = t
	}
	return p
}

// Save writes net and its metadata to path atomically (projects.Save: a
// file there that is not a project is left as it was, ErrNotProject).
func Save(path string, net *style.FastNet, m Meta) error {
	return projects.Save(Project(net, m), path)
}

// Is reports whether p says it holds a fast-style network (it has style
// names); FromProject checks the rest.
func Is(p *projects.Project) bool {
	_, ok := p.Inspect.Strings[style.FastStyleKey]
	return ok
}

// FromProject rebuilds the network a project holds on b, with the graph it
// was saved with, and reads its metadata.
func FromProject(p *projects.Project, b backend.Backend) (*style.FastNet, Meta, error) {
	if !Is(p) {
		return nil, Meta{}, &Error{Kind: ErrNotFastStyle, Problem: fmt.Sprintf("project %q is not a fast-style network (it records no styles)", p.Name), Fix: trainFix}
	}
	names := style.FastStyleNames(p.Inspect.Strings)
	cfg, err := style.FastConfigOf(p.Graph)
	if err != nil {
		return nil, Meta{}, &Error{Kind: ErrNotFastStyle, Problem: err.Error(), Fix: trainFix}
	}
	if len(names) != cfg.Styles {
		return nil, Meta{}, &Error{Kind: ErrNotFastStyle, Problem: fmt.Sprintf("the network holds %d styles but %d style names were saved", cfg.Styles, len(names)),
			Fix: "the file was altered; train the network again"}
	}
	net, err := style.LoadFastNet(b, p.Graph, p.Group(projects.GroupWeights), names)
	if err != nil {
		return nil, Meta{}, &Error{Kind: ErrWeights, Problem: "the network's weights do not fit its graph (" + err.Error() + ")",
			Fix: "the file was altered or is incomplete; train the network again"}
	}
	return net, metaOf(p), nil
}

// metaOf reads the metadata; numbers that are missing or out of range read
// as 0.
func metaOf(p *projects.Project) Meta {
	s, n := p.Inspect.Strings, p.Inspect.Numbers
	whole := func(k string) int {
		v := n[k]
		if v != v || v < 0 || v > math.MaxInt32 {
			return 0
		}
		return int(v)
	}
	return Meta{Perceptual: s[keyPerceptual], ContentLayer: s[keyContentLayer], Size: whole(keySize), Steps: whole(keySteps),
		StyleWeight: n[keyStyleWeight], ContentWeight: n[keyContentWeight], TV: n[keyTV]}
}

// Open reads the project at path and rebuilds its network on b. Errors
// name the file: the projects package's for a file that cannot be read or
// is not a project, an *Error for a project that is not a usable network.
func Open(path string, b backend.Backend) (*style.FastNet, Meta, error) {
	p, err := projects.Open(path)
	if err != nil {
		return nil, Meta{}, err
	}
	net, m, err := FromProject(p, b)
	var e *Error
	if errors.As(err, &e) {
		e.Path = path
	}
	return net, m, err
}
