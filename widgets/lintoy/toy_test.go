package lintoy

import (
	"math"
	"math/rand/v2"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestGradientMatchesFiniteDifferences(t *testing.T) {
	for _, loss := range []Loss{SVM, Softmax} {
		m := NewModel()
		m.Loss = loss
		m.Randomize(rand.New(rand.NewPCG(3, 4)))
		dW, dB := m.Gradient()
		const h = 1e-6
		num := func(p *float64) float64 {
			old := *p
			*p = old + h
			up, _, _ := m.Losses()
			*p = old - h
			down, _, _ := m.Losses()
			*p = old
			return (up - down) / (2 * h)
		}
		for c := 0; c < Classes; c++ {
			for k := 0; k < 2; k++ {
				if g := num(&m.W[c][k]); math.Abs(g-dW[c][k]) > 1e-4 {
					t.Errorf("%v dW[%d][%d] = %g, numerically %g", loss, c, k, dW[c][k], g)
				}
			}
			if g := num(&m.B[c]); math.Abs(g-dB[c]) > 1e-4 {
				t.Errorf("%v dB[%d] = %g, numerically %g", loss, c, dB[c], g)
			}
		}
	}
}

func TestStepsLowerTheLossAndLearnTheClasses(t *testing.T) {
	for _, loss := range []Loss{SVM, Softmax} {
		m := NewModel()
		m.Loss = loss
		m.Reg = 0.001
		m.LR = 0.5
		first, _, _ := m.Losses()
		for range 500 {
			m.Step()
		}
		last, _, _ := m.Losses()
		if last >= first/2 || m.Accuracy() != 1 {
			t.Errorf("%v: loss %.3f -> %.3f, accuracy %.2f", loss, first, last, m.Accuracy())
		}
	}
}

// drag sends the events of a pointer dragged from one position to another
// in five moves, as the desktop driver does: each event carries the
// pointer's position and the movement since the previous one.
func drag(p *Plane, from, to fyne.Position) {
	prev := from
	for k := 1; k <= 5; k++ {
		f := float32(k) / 5
		at := fyne.NewPos(from.X+(to.X-from.X)*f, from.Y+(to.Y-from.Y)*f)
		p.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: at}, Dragged: fyne.NewDelta(at.X-prev.X, at.Y-prev.Y)})
		prev = at
	}
	p.DragEnd()
}

func TestDraggingAPointChangesTheLoss(t *testing.T) {
	test.NewTempApp(t)
	toy := New()
	w := test.NewTempWindow(t, toy)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(900, 600))
	m := toy.Model
	before, _, _ := m.Losses()
	label := toy.total.Text

	// Drag point 0 (class 0, at 0.5, 0.4) over to where class 1 lives.
	v := toy.Plane.viewFor(toy.Plane.Size())
	start := v.pos(m.Points[0].X, m.Points[0].Y)
	end := v.pos(-0.9, 0.9)
	changed := 0
	toy.Plane.OnChanged = func() { changed++; toy.update() }
	drag(toy.Plane, start, end)

	if math.Abs(m.Points[0].X+0.9) > 0.02 || math.Abs(m.Points[0].Y-0.9) > 0.02 {
		t.Fatalf("point 0 is at (%.2f, %.2f) after the drag, want (-0.9, 0.9)", m.Points[0].X, m.Points[0].Y)
	}
	after, _, _ := m.Losses()
	if changed == 0 || after == before || toy.total.Text == label {
		t.Fatalf("loss %.4f -> %.4f (label %q -> %q, %d change events)", before, after, label, toy.total.Text, changed)
	}

	// Dragging the arrow tip of class 2 turns its weights.
	w2 := m.W[2]
	tx, ty := m.Tip(2)
	tip := v.pos(tx, ty)
	drag(toy.Plane, tip, tip.Add(fyne.NewDelta(0, -40)))
	if m.W[2] == w2 {
		t.Fatalf("dragging the tip left W[2] at %v", w2)
	}
	// A drag that starts on empty space moves nothing.
	pts := append([]Point(nil), m.Points...)
	W := m.W
	drag(toy.Plane, v.pos(-1.15, -1.15), v.pos(-1.15, -1.15).Add(fyne.NewDelta(30, 30)))
	for i := range pts {
		if pts[i] != m.Points[i] {
			t.Fatalf("point %d moved by a drag on empty space", i)
		}
	}
	if W != m.W {
		t.Fatalf("weights moved by a drag on empty space")
	}
}

func TestStepButtonAndTrainUpdateTheReadout(t *testing.T) {
	test.NewTempApp(t)
	toy := New()
	test.NewTempWindow(t, toy).Resize(fyne.NewSize(900, 600))
	before, _, _ := toy.Model.Losses()
	test.Tap(toy.train)
	if !toy.Running() || toy.train.Text != "Stop" {
		t.Fatal("Train did not start")
	}
	test.Tap(toy.train)
	if toy.Running() {
		t.Fatal("Stop did not stop")
	}
	toy.Step()
	after, _, _ := toy.Model.Losses()
	if after >= before || toy.steps == 0 {
		t.Fatalf("a step took the loss from %.4f to %.4f", before, after)
	}
	toy.lossSel.SetSelected("Softmax")
	if toy.Model.Loss != Softmax {
		t.Fatal("choosing Softmax did not change the loss")
	}
}
