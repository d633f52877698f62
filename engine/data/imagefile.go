package data

import (
	"errors"
	"fmt"
	"os"
)

// ReadImageFile decodes one image file (PNG, JPEG or GIF)
// and returns it as c×h×w float32 pixels in [0, 1]: RGB, or grey when c is
// 1. stretch scales width and height apart to h×w (Keras' load_img);
// otherwise the image is scaled to cover h×w and its centre kept (what
// dataset loading does). Resampling is antialiased bilinear. The file and
// its pixels are bounded by the limits of the environment (see Limits).
func ReadImageFile(path string, c, h, w int, stretch bool) ([]float32, error) {
	if c != 1 && c != 3 {
		return nil, badInputf("images have 1 or 3 channels; the model takes %d", c)
	}
	lim, err := Limits{}.resolve()
	if err != nil {
		return nil, err
	}
	st, err := statInput(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, badInputf("%s is a folder; pass image files", path)
	}
	if st.Size() > lim.MaxEntryBytes {
		return nil, inFile(path, entryBytesError("is "+formatBytes(st.Size()), lim.MaxEntryBytes))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, badInputf("cannot read image %s: %v", path, err)
	}
	im, err := decodeImage(b, 0, lim.MaxImagePixels)
	if errors.Is(err, ErrLimit) {
		return nil, inFile(path, err)
	}
	if err != nil {
		return nil, badInputf("%s is not an image Workbench can decode (%v); use PNG or JPEG", path, err)
	}
	pix := im.pix
	switch {
	case im.h == h && im.w == w:
	case stretch:
		pix = resample(pix, 3, im.h, im.w, h, w, 0, 0, float64(im.w), float64(im.h))
	default:
		pix = resizeCoverCrop(pix, 3, im.h, im.w, h, w)
	}
	if c == 1 {
		grey := make([]uint8, h*w)
		rgbToGrey(grey, pix, h*w)
		pix = grey
	}
	out := make([]float32, len(pix))
	for i, v := range pix {
		out[i] = float32(v) / 255
	}
	if len(out) != c*h*w {
		return nil, fmt.Errorf("data: image %s decoded to %d values, want %d", path, len(out), c*h*w)
	}
	return out, nil
}
