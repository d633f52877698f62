package pytorch

import (
	"fmt"
	"strings"
)

// pyKeywords are Python's reserved words plus names an nn.Module or the
// generated forward pass already uses.
var pyKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true, "async": true,
	"await": true, "break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true,
	"else": true, "except": true, "finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true, "not": true, "or": true,
	"pass": true, "raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
	// module attributes and names of the generated file
	"training": true, "forward": true, "eval": true, "train": true, "cuda": true, "cpu": true, "to": true,
	"parameters": true, "state_dict": true, "children": true, "modules": true, "apply": true, "half": true,
	"float": true, "double": true, "type": true, "zero_grad": true, "register_buffer": true,
	"torch": true, "nn": true, "F": true, "np": true, "x": true, "self": true, "stochastic_depth": true,
}

// idents gives every node ID a unique Python identifier that stays close to
// it ("layer1.0.conv1" becomes "layer1_0_conv1").
type idents struct {
	byID  map[string]string
	taken map[string]bool
}

func newIdents() *idents { return &idents{byID: map[string]string{}, taken: map[string]bool{}} }

func (s *idents) of(id string) string {
	if v, ok := s.byID[id]; ok {
		return v
	}
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base := b.String()
	if base == "" || (base[0] >= '0' && base[0] <= '9') || strings.HasPrefix(base, "__") {
		base = "n_" + base
	}
	if pyKeywords[base] {
		base += "_"
	}
	name := base
	for i := 2; s.taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	s.taken[name] = true
	s.byID[id] = name
	return name
}
