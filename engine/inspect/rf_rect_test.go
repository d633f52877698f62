package inspect

import (
	"image"
	"testing"
)

// Rectangular windows (Inception v3's 1x7 then 7x1): the exact box follows
// each axis, and the nominal field bounds it by the larger axis.
func TestReceptiveBoxOfFactorisedKernels(t *testing.T) {
	h17 := layer{"conv2d", map[string]float64{"out": 2, "kernel_h": 1, "kernel_w": 7, "pad": 0, "pad_w": 3}}
	v71 := layer{"conv2d", map[string]float64{"out": 2, "kernel_h": 7, "kernel_w": 1, "pad_h": 3}}
	pool := layer{"maxpool2d", map[string]float64{"kernel_h": 3, "kernel_w": 1, "stride_h": 2, "stride_w": 1}}
	rf, err := NewReceptiveFields(chain(1, 17, 17, h17, v71, pool), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   string
		y, x int
		want image.Rectangle
	}{
		{"l1", 8, 8, image.Rect(5, 8, 12, 9)},  // 1 tall, 7 wide
		{"l2", 8, 8, image.Rect(5, 5, 12, 12)}, // 7x7 after both
		{"l3", 4, 8, image.Rect(5, 5, 12, 14)}, // rows 8-10 of l2, each 7 tall
	} {
		box, ok, err := rf.Box(c.id, 0, c.y, c.x)
		if err != nil || !ok || box != c.want {
			t.Errorf("%s unit (%d, %d): box %v (%v, %v), want %v", c.id, c.y, c.x, box, ok, err, c.want)
		}
	}
	if f, _ := rf.Field("l1"); f.Size != 7 || f.Jump != 1 {
		t.Errorf("1x7 nominal field %+v, want size 7 (the larger axis), jump 1", f)
	}
}
