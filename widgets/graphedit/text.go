package graphedit

import (
	"strings"

	"fyne.io/fyne/v2"
)

// textCache remembers measured widths, so that redrawing a view of
// hundreds of cards measures each string once per zoom level.
type textCache map[textKey]float32

type textKey struct {
	s     string
	size  float32
	style fyne.TextStyle
}

func (c textCache) width(s string, size float32, style fyne.TextStyle) float32 {
	if s == "" {
		return 0
	}
	k := textKey{s, size, style}
	if w, ok := c[k]; ok {
		return w
	}
	if len(c) > 20000 {
		clear(c)
	}
	var w float32
	if fyne.CurrentApp() != nil {
		w = fyne.MeasureText(s, size, style).Width
	} else {
		w = 0.6 * size * float32(len([]rune(s)))
	}
	c[k] = w
	return w
}

// fit shortens s with an ellipsis until it is at most max wide.
func (c textCache) fit(s string, size float32, style fyne.TextStyle, maxW float32) string {
	if c.width(s, size, style) <= maxW {
		return s
	}
	r := []rune(s)
	lo, hi := 0, len(r) // lo fits, hi does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if c.width(string(r[:mid])+"…", size, style) <= maxW {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return "…"
	}
	return string(r[:lo]) + "…"
}

// wrap breaks s into lines at most max wide, at spaces (a word longer than
// a line is cut).
func (c textCache) wrap(s string, size float32, style fyne.TextStyle, maxW float32) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		try := w
		if line != "" {
			try = line + " " + w
		}
		if c.width(try, size, style) <= maxW {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		line = w
		for c.width(line, size, style) > maxW && len([]rune(line)) > 1 {
			f := c.fit(line, size, style, maxW)
			cut := len([]rune(f)) - 1
			if cut < 1 {
				cut = 1
			}
			r := []rune(line)
			lines = append(lines, string(r[:cut]))
			line = string(r[cut:])
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
