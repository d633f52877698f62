package inspect

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/workbench-cv/workbench/engine/data/npy"
)

// Debian's interpreter, which has numpy and scikit-learn (the first
// python3 on PATH may not).
const sklearnPython = "/usr/bin/python3"

// runPython runs a script with numpy (and sklearn when asked) and returns
// its stdout; it skips when they are missing, unless CI=true.
func runPython(t *testing.T, script string, args ...string) []byte {
	t.Helper()
	if err := exec.Command(sklearnPython, "-c", "import numpy, sklearn").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("numpy and scikit-learn are required in CI (%s -c 'import numpy, sklearn': %v)", sklearnPython, err)
		}
		t.Skipf("numpy or scikit-learn missing (%v); install python3-sklearn", err)
	}
	cmd := exec.Command(sklearnPython, append([]string{"-c", script}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v: %s", err, errb.String())
	}
	return out.Bytes()
}

func writeNPY(t *testing.T, path string, a *npy.Array) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.Write(f, a); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readNPY(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAffinitiesMatchScikitLearn compares P with scikit-learn's
// _joint_probabilities_nn on the same neighbours (and the exact method's
// P with _joint_probabilities).
func TestAffinitiesMatchScikitLearn(t *testing.T) {
	n, d := 300, 7
	x, _ := clusters(n, d, 4, 11)
	dir := t.TempDir()
	writeNPY(t, filepath.Join(dir, "x.npy"), npy.FromFloat32([]int{n, d}, x))
	runPython(t, `
import sys, numpy as np
from sklearn.manifold import _t_sne
from sklearn.neighbors import NearestNeighbors
from scipy.spatial.distance import squareform
d = sys.argv[1]
X = np.load(d + "/x.npy")
g = NearestNeighbors(n_neighbors=31).fit(X).kneighbors_graph(mode="distance")
g.data **= 2
P = _t_sne._joint_probabilities_nn(g, 10, 0)
np.save(d + "/p.npy", P.toarray().astype(np.float64))
D = ((X[:, None, :].astype(np.float64) - X[None, :, :]) ** 2).sum(-1)
np.save(d + "/pe.npy", squareform(_t_sne._joint_probabilities(D, 10, 0)))
`, dir)
	want := readNPY(t, filepath.Join(dir, "p.npy"))
	nb, err := KNN(context.Background(), x, n, d, 31, KNNBrute, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := denseOf(SparseAffinities(nb, 10, 2))
	compare := func(what string, got, want []float64) {
		var worst float64
		for i := range want {
			worst = max(worst, math.Abs(got[i]-want[i]))
		}
		// scikit-learn calibrates on float32 distances.
		if worst > 1e-7 {
			t.Errorf("%s: largest difference from scikit-learn %.3g (P entries are about %.3g)", what, worst, 1/float64(n*31))
		}
	}
	compare("sparse P", got, want)
	dense := denseAffinities(pairwiseDist2(x, n, d, 2), n, 10, 2)
	for i := range n {
		dense[i*n+i] = 0
	}
	wantE := readNPY(t, filepath.Join(dir, "pe.npy"))
	compare("exact P", dense, wantE)
}

// TestPCAMatchesNumPy compares components and explained variance with
// numpy's SVD of the centred data.
func TestPCAMatchesNumPy(t *testing.T) {
	n, d, k := 120, 9, 4
	x, _ := clusters(n, d, 5, 12)
	dir := t.TempDir()
	writeNPY(t, filepath.Join(dir, "x.npy"), npy.FromFloat32([]int{n, d}, x))
	runPython(t, `
import sys, numpy as np
d = sys.argv[1]
X = np.load(d + "/x.npy").astype(np.float64)
Xc = X - X.mean(0)
U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
np.save(d + "/vt.npy", Vt[:4])
np.save(d + "/var.npy", S[:4] ** 2 / (X.shape[0] - 1))
np.save(d + "/ratio.npy", (S ** 2 / (S ** 2).sum())[:4])
`, dir)
	vt, vr, ratio := readNPY(t, filepath.Join(dir, "vt.npy")), readNPY(t, filepath.Join(dir, "var.npy")), readNPY(t, filepath.Join(dir, "ratio.npy"))
	p, err := FitPCA(x, n, d, k)
	if err != nil {
		t.Fatal(err)
	}
	for c := range k {
		if math.Abs(p.Variance[c]-vr[c]) > 1e-9*vr[0] || math.Abs(p.Ratio[c]-ratio[c]) > 1e-9 {
			t.Errorf("component %d: variance %v (numpy %v), ratio %v (numpy %v)", c, p.Variance[c], vr[c], p.Ratio[c], ratio[c])
		}
		var dot float64
		for j := range d {
			dot += p.Components[c][j] * vt[c*d+j]
		}
		if math.Abs(math.Abs(dot)-1) > 1e-9 {
			t.Errorf("component %d: |cos| with numpy's %v", c, math.Abs(dot))
		}
	}
}
