package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Validate reports whether Build accepts the initialiser's name, so that a
// command can refuse a bad one (gaussian:NaN) before loading data.
func (i Init) Validate() error {
	switch s := string(i); {
	case s == "" || s == "default" || s == "he" || s == "xavier":
		return nil
	case strings.HasPrefix(s, "gaussian:"):
		std, err := strconv.ParseFloat(s[len("gaussian:"):], 64)
		if err != nil || !(std > 0) || math.IsInf(std, 0) {
			return fmt.Errorf("initialiser %q: want gaussian:<std> with a positive finite std, e.g. gaussian:0.01", s)
		}
		return nil
	}
	return fmt.Errorf("unknown initialiser %q: use default, he, xavier or gaussian:<std>", string(i))
}
