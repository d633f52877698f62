package bench

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/style"
)

// BenchmarkFastStyleStep is the fast-style workload's training step (a
// batch of 2 at 128 px through the transformation network and the
// perceptual network, backward, Adam) and its stylisation of one 256×256
// image, for profiling with go test -cpuprofile.
func BenchmarkFastStyleStep(b *testing.B) {
	be := cpu.New()
	net, err := style.NewFastNet(be, style.FastConfig{Width: 32, Residual: 5, Styles: 1}, []string{"waves"}, 1)
	if err != nil {
		b.Fatal(err)
	}
	pin := []int{3, 128, 128}
	pm, err := nn.Build(styleGraph(), pin, be, 2, "default")
	if err != nil {
		b.Fatal(err)
	}
	content, sty := styleImages(128)
	batch := append(append([]float32(nil), content...), sty...)
	var layers []style.LayerWeight
	for _, l := range []string{"relu1", "relu2", "relu3", "relu4", "relu5"} {
		layers = append(layers, style.LayerWeight{Layer: l, Weight: 1})
	}
	tr, err := style.NewFastTrainer(attrib.Net{Model: pm}, net, []style.Image{{Pix: sty, Shape: pin}}, style.FastTrainOptions{
		Size: 128, Batch: 2, LR: 1e-3, ContentLayer: "relu4", StyleLayers: layers})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("train", func(b *testing.B) {
		for range b.N {
			if _, err := tr.Step(batch, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	img, _ := styleImages(256)
	b.Run("stylise", func(b *testing.B) {
		for range b.N {
			net.StyliseBatch(img, 1, 256, 256, nil)
		}
	})
}
