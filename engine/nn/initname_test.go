package nn

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// TestInitValidateAgreesWithBuild guards `--init gaussian:NaN`, which
// Build accepted (NaN <= 0 is false) and which trained on NaN weights: the
// command-line check and Build refuse the same names.
func TestInitValidateAgreesWithBuild(t *testing.T) {
	b := cpu.New()
	for _, name := range []string{"", "default", "he", "xavier", "gaussian:0.01",
		"gaussian:NaN", "gaussian:nan", "gaussian:Inf", "gaussian:-1", "gaussian:0", "gaussian:", "gauss", "HE"} {
		verr := Init(name).Validate()
		_, berr := Build(refCNN(4), nil, b, 1, Init(name))
		if (verr == nil) != (berr == nil) {
			t.Errorf("%q: Validate %v, Build %v", name, verr, berr)
		}
	}
	if Init("gaussian:NaN").Validate() == nil {
		t.Fatal("gaussian:NaN accepted")
	}
}
