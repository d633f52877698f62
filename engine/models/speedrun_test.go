package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestWhiteningWeightsWhiten checks the defining property: the first half
// of the filters maps the patches to values with (nearly) identity
// second moment, and the second half is the first negated.
func TestWhiteningWeightsWhiten(t *testing.T) {
	n, c, h, w, k := 20, 3, 8, 8, 2
	r := rand.New(rand.NewPCG(1, 2))
	im := make([]float32, n*c*h*w)
	for i := range im {
		// Correlated channels, so whitening has work to do.
		im[i] = float32(r.NormFloat64())
		if i%(h*w*c) >= h*w {
			im[i] = 0.8*im[i-h*w] + 0.2*im[i]
		}
	}
	wts, err := WhiteningWeights(im, n, c, h, w, k, 0)
	if err != nil {
		t.Fatal(err)
	}
	d := c * k * k
	if len(wts) != 2*d*d {
		t.Fatalf("%d weights, want %d", len(wts), 2*d*d)
	}
	second := make([]float64, d*d)
	count := 0
	p := make([]float64, d)
	for i := 0; i < n; i++ {
		for y := 0; y+k <= h; y++ {
			for x := 0; x+k <= w; x++ {
				j := 0
				for ch := 0; ch < c; ch++ {
					for dy := 0; dy < k; dy++ {
						for dx := 0; dx < k; dx++ {
							p[j] = float64(im[i*c*h*w+(ch*h+y+dy)*w+x+dx])
							j++
						}
					}
				}
				out := make([]float64, d)
				for f := 0; f < d; f++ {
					for j := 0; j < d; j++ {
						out[f] += float64(wts[f*d+j]) * p[j]
					}
				}
				for a := 0; a < d; a++ {
					for b := 0; b < d; b++ {
						second[a*d+b] += out[a] * out[b]
					}
				}
				count++
			}
		}
	}
	for a := 0; a < d; a++ {
		for b := 0; b < d; b++ {
			want := 0.0
			if a == b {
				want = 1
			}
			if g := second[a*d+b] / float64(count); math.Abs(g-want) > 1e-3 {
				t.Errorf("second moment [%d,%d] = %g, want %g", a, b, g, want)
			}
		}
	}
	for i := 0; i < d*d; i++ {
		if wts[d*d+i] != -wts[i] {
			t.Fatalf("filter value %d of the second half is %g, want %g", i, wts[d*d+i], -wts[i])
		}
	}
}

func TestDiracInitIsIdentity(t *testing.T) {
	out, in, k := 4, 3, 3
	w := make([]float32, out*in*k*k)
	for i := range w {
		w[i] = 9
	}
	DiracInit(w, out, in, k, k)
	for o := 0; o < out; o++ {
		for i := 0; i < in; i++ {
			for j := 0; j < k*k; j++ {
				v := w[(o*in+i)*k*k+j]
				switch {
				case o >= in && v != 9:
					t.Errorf("filter %d beyond the inputs was changed", o)
				case o < in && i == o && j == 4 && v != 1:
					t.Errorf("filter %d centre of its own channel = %g, want 1", o, v)
				case o < in && !(i == o && j == 4) && v != 0:
					t.Errorf("filter %d channel %d tap %d = %g, want 0", o, i, j, v)
				}
			}
		}
	}
}

func TestSpeedrunGraph(t *testing.T) {
	g, err := Speedrun([]int{3, 32, 32}, 10, SpeedrunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Find("whiten") == nil || g.Find("block3.norm2") == nil || g.Find("head").Attrs["bias"] != 0 {
		t.Errorf("unexpected graph %+v", g.Nodes)
	}
	if _, err := Speedrun([]int{3, 32, 32}, 10, SpeedrunConfig{Act: "tanh"}); err == nil {
		t.Error("tanh accepted")
	}
}
