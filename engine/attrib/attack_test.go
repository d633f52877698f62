package attrib_test

import (
	"context"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/adversarial"
)

// TestAttacksOnTheMarkerNet: PGD (L∞ and L2, random start) respects its
// budget and lowers accuracy more than FGSM at the same epsilon, the
// accuracy curve falls with epsilon, a targeted attack reaches its
// targets, and the universal perturbation and the transfer matrix are
// measured (a copy of the model is attacked as well as itself).
func TestAttacksOnTheMarkerNet(t *testing.T) {
	net, ts := trainedMarkerNet(t)
	ctx := context.Background()
	N := 50
	x, y := ts.x[:N*markS*markS], ts.labels[:N]
	clean := adversarial.Accuracy(net, x, N, y, 0)
	const eps = 48.0 / 255
	fgsm, err := adversarial.Run(ctx, net, x, N, y, adversarial.Config{Method: adversarial.FGSM, Eps: eps})
	if err != nil {
		t.Fatal(err)
	}
	pgd, err := adversarial.Run(ctx, net, x, N, y, adversarial.Config{Method: adversarial.PGD, Eps: eps, Steps: 10, RandomStart: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := adversarial.Run(ctx, net, x, N, y, adversarial.Config{Method: adversarial.PGD, Norm: adversarial.L2, Eps: 1, Steps: 10, RandomStart: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	accF := adversarial.Accuracy(net, fgsm.Adv, N, y, 0)
	accP := adversarial.Accuracy(net, pgd.Adv, N, y, 0)
	accL2 := adversarial.Accuracy(net, l2.Adv, N, y, 0)
	t.Logf("clean %.2f, FGSM 48/255 %.2f (L-inf %.4f), PGD-10 48/255 %.2f (L-inf %.4f), PGD-10 L2 eps 1 %.2f (mean L2 %.3f)", clean, accF, fgsm.LInf, accP, pgd.LInf, accL2, l2.L2)
	if fgsm.LInf > eps+1e-6 || pgd.LInf > eps+1e-6 {
		t.Errorf("L-inf budget exceeded: FGSM %.5f, PGD %.5f > %.5f", fgsm.LInf, pgd.LInf, eps)
	}
	d := markS * markS
	for i := range N {
		var s float64
		for j := range d {
			v := float64(l2.Adv[i*d+j] - x[i*d+j])
			s += v * v
		}
		if math.Sqrt(s) > 1+1e-4 {
			t.Fatalf("image %d: L2 perturbation %.4f > 1", i, math.Sqrt(s))
		}
	}
	if !(accP <= accF && accP < clean) {
		t.Errorf("PGD accuracy %.2f should be below FGSM's %.2f and the clean %.2f", accP, accF, clean)
	}
	curve, err := adversarial.Curve(ctx, net, x, N, y, adversarial.Config{Method: adversarial.PGD, Steps: 5}, []float64{0, 4.0 / 255, 16.0 / 255, 64.0 / 255}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PGD-5 accuracy against epsilon 0, 4, 16, 64 /255: %v", curve)
	if curve[0] != clean || curve[3] > curve[1] || curve[3] > 0.1 {
		t.Errorf("accuracy curve %v: want clean accuracy at 0 and falling to <= 0.1", curve)
	}
	targets := make([]int, N)
	for i := range targets {
		targets[i] = (y[i] + 1) % markK
	}
	tg, err := adversarial.Run(ctx, net, x, N, targets, adversarial.Config{Method: adversarial.PGD, Eps: 64.0 / 255, Steps: 20, Targeted: true})
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	for _, s := range tg.Success {
		if s {
			reached++
		}
	}
	t.Logf("targeted PGD-20 at 64/255: %d of %d reach their target", reached, N)
	if reached < N*9/10 {
		t.Errorf("targeted PGD reached %d of %d targets", reached, N)
	}
	u, err := adversarial.Universal(ctx, net, x, N, y, adversarial.UniversalOptions{Eps: 64.0 / 255, Epochs: 3, Batch: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("universal perturbation 64/255: fooling rate %.2f, accuracy %.2f -> %.2f", u.FoolingRate, u.CleanAcc, u.AdvAcc)
	for _, v := range u.Delta {
		if math.Abs(float64(v)) > 64.0/255+1e-6 {
			t.Fatalf("universal perturbation value %v beyond its budget", v)
		}
	}
	if u.AdvAcc > u.CleanAcc {
		t.Errorf("the universal perturbation raised accuracy from %.2f to %.2f", u.CleanAcc, u.AdvAcc)
	}
	tr, err := adversarial.Transfer(ctx, []adversarial.Net{net, net}, x, N, y, adversarial.Config{Method: adversarial.FGSM, Eps: eps})
	if err != nil {
		t.Fatal(err)
	}
	if tr[0][0] != accF || tr[0][1] != accF {
		t.Errorf("transfer matrix %v: attacking a model and measuring itself should give FGSM's %.2f", tr, accF)
	}
}
