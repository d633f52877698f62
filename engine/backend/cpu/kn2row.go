package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// kn2row's shift-and-add steps (backend.Kn2Rower) for autograd's
// Conv2dFewOut, the convolutions with few output channels (fast style
// transfer's last 9×9 layer, 32 channels to 3). Each output row, and each
// gathered tap row, belongs to one thread and sums in a fixed order, so
// the results do not depend on the thread count.

// Kn2RowAdd implements backend.Kn2Rower.
func (*CPU) Kn2RowAdd(y backend.Buffer, yOff int, t backend.Buffer, g backend.Kn2Row, r0, rows int) {
	ys, ts := d(y)[yOff:], d(t)
	lo, hi := max(0, r0+g.PH-g.KH+1), min(g.OH, r0+rows+g.PH) // the output rows reached
	if lo >= hi {
		return
	}
	parallel.For(hi-lo, g.OC*g.KH*g.KW*g.OW, func(a, b int) {
		for i := lo + a; i < lo+b; i++ {
			for q := range g.OC {
				dst := ys[(q*g.OH+i)*g.OW : (q*g.OH+i+1)*g.OW]
				for ky := range g.KH {
					r := i - g.PH + ky
					if r < r0 || r >= r0+rows {
						continue
					}
					for kx := range g.KW {
						jlo, jhi := max(0, g.PW-kx), min(g.OW, g.W+g.PW-kx)
						if jlo >= jhi {
							continue
						}
						tap := (q*g.KH+ky)*g.KW + kx
						src := ts[(tap*rows+r-r0)*g.W+jlo-g.PW+kx:]
						seg := dst[jlo:jhi]
						src = src[:len(seg)]
						for j, v := range src {
							seg[j] += v
						}
					}
				}
			}
		}
	})
}

// Kn2RowGather implements backend.Kn2Rower.
func (*CPU) Kn2RowGather(t, dy backend.Buffer, dyOff int, g backend.Kn2Row, r0, rows int) {
	ts, gs := d(t), d(dy)[dyOff:]
	taps := g.OC * g.KH * g.KW
	parallel.For(taps, rows*g.W, func(a, b int) {
		for tap := a; tap < b; tap++ {
			q, ky, kx := tap/(g.KH*g.KW), tap/g.KW%g.KH, tap%g.KW
			slo, shi := max(0, kx-g.PW), min(g.W, g.OW+kx-g.PW) // input columns whose output column exists
			for r := r0; r < r0+rows; r++ {
				row := ts[(tap*rows+r-r0)*g.W : (tap*rows+r-r0+1)*g.W]
				i := r + g.PH - ky
				if i < 0 || i >= g.OH || slo >= shi {
					clear(row)
					continue
				}
				clear(row[:slo])
				copy(row[slo:shi], gs[(q*g.OH+i)*g.OW+slo+g.PW-kx:])
				clear(row[shi:])
			}
		}
	})
}
