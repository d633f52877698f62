package widgets

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// How numbers and words are written in every pane.

// Thousands formats n with separators: 1234567 -> "1,234,567".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := ""
	for len(s) > 3 {
		out = "," + s[len(s)-3:] + out
		s = s[:len(s)-3]
	}
	out = s + out
	if neg {
		out = "-" + out
	}
	return out
}

// Plural is "1 epoch", "3 epochs", "1,200 batches".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if word == "batch" {
		return Thousands(n) + " batches"
	}
	return Thousands(n) + " " + word + "s"
}

// Pct writes a fraction as a percentage with one decimal: 0.125 -> "12.5%".
func Pct(a float64) string { return fmt.Sprintf("%.1f%%", 100*a) }

// PercentOrDash writes an accuracy, or a dash when unknown (NaN).
func PercentOrDash(a float64) string {
	if math.IsNaN(a) {
		return "–"
	}
	return Pct(a)
}

// FirstUpper capitalises a message's first letter.
func FirstUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Short abbreviates a class name for tick labels and captions: names of
// up to 10 letters whole ("Ankle boot", "automobile"), a name with
// alternatives by its first ("T-shirt/top" is "T-shirt", not "T-shirt/…"),
// longer ones cut with an ellipsis.
func Short(s string) string {
	r := []rune(s)
	if len(r) <= 10 {
		return s
	}
	if i := strings.IndexAny(s, "/,"); i > 0 && len([]rune(s[:i])) <= 10 {
		return strings.TrimSpace(s[:i])
	}
	return string(r[:9]) + "…"
}
