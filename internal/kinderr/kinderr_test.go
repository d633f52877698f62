package kinderr

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorIsItsKindOnly(t *testing.T) {
	kind, other := errors.New("kind"), errors.New("other")
	err := fmt.Errorf("wrapped: %w", Errorf(kind, "bad %s at %d", "x", 3))
	if !errors.Is(err, kind) || errors.Is(err, other) {
		t.Fatalf("errors.Is: kind %v, other %v", errors.Is(err, kind), errors.Is(err, other))
	}
	if err.Error() != "wrapped: bad x at 3" {
		t.Fatalf("message %q", err.Error())
	}
}
