package style_test

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/style"
)

// BenchmarkFastStylise256 stylises one 256×256 image with a network of
// Johnson et al.'s size (width 32, 5 residual blocks), reflection-padded
// (new networks) and zero-padded (networks trained before).
func BenchmarkFastStylise256(b *testing.B) {
	for _, pad := range []string{style.PadReflect, style.PadZeros} {
		b.Run(pad, func(b *testing.B) {
			net, err := style.NewFastNet(be, style.FastConfig{Padding: pad}, []string{"s"}, 1)
			if err != nil {
				b.Fatal(err)
			}
			x := make([]float32, 3*256*256)
			for i := range x {
				x[i] = float32(i%251) / 251
			}
			b.ResetTimer()
			for range b.N {
				net.StyliseBatch(x, 1, 256, 256, nil)
			}
		})
	}
}
