package projects

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Training metrics can be NaN or infinite (a diverging run), which JSON numbers
// cannot hold and encoding/json refuses to write. Losing the history, or
// failing the save, because a run diverged would be wrong, so metric values go
// through jsonFloat and jsonFloat32, which write non-finite values as the
// strings "NaN", "+Inf" and "-Inf" and read them back.

type jsonFloat float64

type jsonFloat32 float32

func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Inf"`...)
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, bits)
}

func parseFloat(b []byte, bits int) (float64, error) {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "+Inf", "Inf":
			return math.Inf(1), nil
		case "-Inf":
			return math.Inf(-1), nil
		}
		return 0, fmt.Errorf("%q is not a number (expected a number, \"NaN\", \"+Inf\" or \"-Inf\")", s)
	}
	// Check that it is a JSON number (not true, null, an object...) before
	// parsing it.
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil || n == "" {
		return 0, fmt.Errorf("%s is not a number", truncateForMessage(string(b)))
	}
	f, err := strconv.ParseFloat(string(n), bits)
	if err != nil {
		return 0, fmt.Errorf("%s is out of range for a float%d", truncateForMessage(string(n)), bits)
	}
	return f, nil
}

func (f jsonFloat) MarshalJSON() ([]byte, error) { return appendFloat(nil, float64(f), 64), nil }

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	v, err := parseFloat(b, 64)
	*f = jsonFloat(v)
	return err
}

func (f jsonFloat32) MarshalJSON() ([]byte, error) { return appendFloat(nil, float64(f), 32), nil }

func (f *jsonFloat32) UnmarshalJSON(b []byte) error {
	v, err := parseFloat(b, 32)
	*f = jsonFloat32(v)
	return err
}

type epochJSON struct {
	Epoch        int       `json:"epoch"`
	TrainLoss    jsonFloat `json:"train_loss"`
	TrainAcc     jsonFloat `json:"train_acc"`
	ValLoss      jsonFloat `json:"val_loss"`
	ValAcc       jsonFloat `json:"val_acc"`
	ImagesPerSec jsonFloat `json:"images_per_sec"`
	Seconds      jsonFloat `json:"seconds"`
}

// MarshalJSON writes non-finite values as strings.
func (m EpochMetrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochJSON{m.Epoch, jsonFloat(m.TrainLoss), jsonFloat(m.TrainAcc),
		jsonFloat(m.ValLoss), jsonFloat(m.ValAcc), jsonFloat(m.ImagesPerSec), jsonFloat(m.Seconds)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *EpochMetrics) UnmarshalJSON(b []byte) error {
	var j epochJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = EpochMetrics{j.Epoch, float64(j.TrainLoss), float64(j.TrainAcc), float64(j.ValLoss),
		float64(j.ValAcc), float64(j.ImagesPerSec), float64(j.Seconds)}
	return nil
}

type runAlias Run

// runJSON shadows Run's float fields that may be non-finite; the outer
// fields win over the embedded ones with the same JSON names.
type runJSON struct {
	*runAlias
	Losses   []jsonFloat32 `json:"losses,omitempty"`
	TestAcc  jsonFloat     `json:"test_acc,omitempty"`
	TestLoss jsonFloat     `json:"test_loss,omitempty"`
}

// MarshalJSON writes non-finite values as strings.
func (r Run) MarshalJSON() ([]byte, error) {
	j := runJSON{runAlias: (*runAlias)(&r), TestAcc: jsonFloat(r.TestAcc), TestLoss: jsonFloat(r.TestLoss)}
	if r.Losses != nil {
		j.Losses = make([]jsonFloat32, len(r.Losses))
		for i, v := range r.Losses {
			j.Losses[i] = jsonFloat32(v)
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Run) UnmarshalJSON(b []byte) error {
	var tmp Run
	j := runJSON{runAlias: (*runAlias)(&tmp)}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	tmp.TestAcc, tmp.TestLoss = float64(j.TestAcc), float64(j.TestLoss)
	tmp.Losses = nil
	if j.Losses != nil {
		tmp.Losses = make([]float32, len(j.Losses))
		for i, v := range j.Losses {
			tmp.Losses[i] = float32(v)
		}
	}
	*r = tmp
	return nil
}

func truncateForMessage(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
