package nn

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// channelshuffle interleaves channels across groups (ShuffleNet), as
// torch.nn.ChannelShuffle; channelslice takes a range of channels (the
// channel split of a ShuffleNet v2 unit, torch.chunk along channels).
func init() {
	register(&Op{Name: "channelshuffle", Group: "shape", Doc: "Interleaves the channels of `groups` groups (ShuffleNet).",
		Attrs: []Attr{{Name: "groups", Default: 2, Min: 1, Max: big, Int: true}},
		MinIn: 1, MaxIn: 1, MACs: noMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "channelshuffle"); err != nil {
				return nil, err
			}
			if g := iattr(n, "groups"); in[0][0]%g != 0 {
				return nil, fmt.Errorf("channelshuffle groups %d must divide the %d channels", g, in[0][0])
			}
			return same(n, in)
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.ChannelShuffle(in[0], iattr(n, "groups"))
		}})

	register(&Op{Name: "channelslice", Group: "shape", Doc: "Channels from `from` up to (not including) `to`: a channel split.",
		Attrs: []Attr{{Name: "from", Default: 0, Min: 0, Max: big, Int: true, Doc: "first channel kept"},
			{Name: "to", Default: 1, Min: 1, Max: big, Int: true, Doc: "one past the last channel kept"}},
		MinIn: 1, MaxIn: 1, MACs: noMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "channelslice"); err != nil {
				return nil, err
			}
			from, to := iattr(n, "from"), iattr(n, "to")
			if from >= to || to > in[0][0] {
				return nil, fmt.Errorf("channelslice [%d, %d) is not a range of the %d channels: use 0 <= from < to <= %d", from, to, in[0][0], in[0][0])
			}
			return []int{to - from, in[0][1], in[0][2]}, nil
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.SliceChannels(in[0], iattr(n, "from"), iattr(n, "to"))
		}})
}
