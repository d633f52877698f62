package widgets

import "testing"

// Class names read whole where they fit, by their first alternative where
// they name two, and are cut only when long.
func TestShortClassNames(t *testing.T) {
	for in, want := range map[string]string{"T-shirt/top": "T-shirt", "Ankle boot": "Ankle boot", "automobile": "automobile",
		"Bag": "Bag", "great white shark, white shark": "great whi…", "tench, Tinca tinca": "tench"} {
		if got := Short(in); got != want {
			t.Errorf("Short(%q) = %q, want %q", in, got, want)
		}
	}
}
