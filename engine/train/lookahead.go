package train

import (
	"sort"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Lookahead keeps a slow copy of a model's parameters and BatchNorm running
// statistics (Zhang et al. 2019, as hlb-cifar10 and airbench use it): each
// Update moves the slow copy towards the model by 1-decay and then sets the
// model to the slow copy. With decay 0 it follows the model; with decay 1
// it resets the model to the slow weights (the end of an airbench run).
type Lookahead struct {
	names []string
	net   map[string]*tensor.Tensor
	slow  map[string]*tensor.Tensor
	tmp   map[string]backend.Buffer
}

// NewLookahead starts the slow copy at the model's current state.
func NewLookahead(m *nn.Model) *Lookahead {
	l := &Lookahead{net: m.State(), slow: map[string]*tensor.Tensor{}, tmp: map[string]backend.Buffer{}}
	for name, t := range l.net {
		l.names = append(l.names, name)
		l.slow[name] = t.Clone()
		l.tmp[name] = t.B.Alloc(t.Len())
	}
	sort.Strings(l.names)
	return l
}

// Update sets slow += (1-decay)·(model - slow) and then model = slow, for
// every parameter and running statistic.
func (l *Lookahead) Update(decay float32) {
	for _, name := range l.names {
		net, slow, tmp := l.net[name], l.slow[name], l.tmp[name]
		b, n := net.B, net.Len()
		if decay != 1 {
			b.Binary(backend.Sub, tmp, net.Buf, slow.Buf, backend.Strided{Shape: []int{n}, StrideA: []int{1}, StrideB: []int{1}})
			b.Axpy(slow.Buf, 1-decay, tmp)
		}
		b.Copy(net.Buf, 0, slow.Buf, 0, n)
	}
}

// Free returns the slow copy's buffers to the backend.
func (l *Lookahead) Free() {
	for _, name := range l.names {
		b := l.net[name].B
		b.Free(l.slow[name].Buf)
		b.Free(l.tmp[name])
	}
	l.names = nil
}
