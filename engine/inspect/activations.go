package inspect

import (
	"fmt"
	"image"
)

// Activation maps are normalised for display per layer (one scale for all
// of a layer's channels, so strong and weak channels compare) or per
// channel (each map stretched to full contrast).
const (
	NormLayer   = "layer"
	NormChannel = "channel"
)

// Maps returns the activation as uint8 maps, CHW, scaled to 0-255 per
// layer or per channel (norm NormLayer or NormChannel). A vector [F] is
// one 1×F map.
func (a Activation) Maps(norm string) (pix []uint8, c, h, w int, err error) {
	c, h, w = 1, 1, len(a.Data)
	if len(a.Shape) == 3 {
		c, h, w = a.Shape[0], a.Shape[1], a.Shape[2]
	}
	if c*h*w != len(a.Data) {
		return nil, 0, 0, 0, fmt.Errorf("activation of %s has %d values, not %v", a.Layer, len(a.Data), a.Shape)
	}
	if norm != NormLayer && norm != NormChannel {
		return nil, 0, 0, 0, fmt.Errorf("unknown normalisation %q: use layer or channel", norm)
	}
	pix = make([]uint8, len(a.Data))
	lo, hi := minMax(a.Data)
	plane := h * w
	for ch := range c {
		v := a.Data[ch*plane : (ch+1)*plane]
		if norm == NormChannel {
			lo, hi = minMax(v)
		}
		for k, x := range v {
			pix[ch*plane+k] = toByte(x, lo, hi)
		}
	}
	return pix, c, h, w, nil
}

// Grid renders every channel's map as a grey tile in a grid (a vector as
// one strip), enlarged by scale (0: maps under 24 pixels are enlarged to
// about 24).
func (a Activation) Grid(norm string, scale int) (*image.NRGBA, error) {
	pix, c, h, w, err := a.Maps(norm)
	if err != nil {
		return nil, err
	}
	tiles := make([]image.Image, c)
	for ch := range c {
		g := image.NewGray(image.Rect(0, 0, w, h))
		copy(g.Pix, pix[ch*h*w:(ch+1)*h*w])
		tiles[ch] = g
	}
	if scale <= 0 {
		scale = 1
		if h > 1 {
			scale = max(1, 24/max(h, w))
		} else {
			scale = max(1, min(8, 512/max(w, 1)))
		}
	}
	return TileGrid(tiles, GridOptions{Scale: scale}), nil
}
