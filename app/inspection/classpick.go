package inspection

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/widget"
)

// NewClassEntry is a class choice for models with many classes (ImageNet's
// 1,000): a list to pick from, or a name or number typed in.
func NewClassEntry() *widget.SelectEntry {
	e := widget.NewSelectEntry(nil)
	e.SetPlaceHolder("class name or number")
	return e
}

// SetClassOptions fills e with the model's n class names and shows the first.
func (b *Base) SetClassOptions(e *widget.SelectEntry, n int) {
	opts := make([]string, n)
	for k := range opts {
		opts[k] = b.ClassName(k)
	}
	e.SetOptions(opts)
	if n > 0 {
		e.SetText(opts[0])
	}
}

// ClassIndex reads a class typed or picked among n: its number, its name
// (any case), or the one name that contains the text; the error is a
// sentence to show.
func (b *Base) ClassIndex(text string, n int) (int, error) {
	t := strings.TrimSpace(text)
	if k, err := strconv.Atoi(t); err == nil {
		if k < 0 || k >= n {
			return -1, fmt.Errorf("class %d does not exist: use 0 to %d, or a class name", k, n-1)
		}
		return k, nil
	}
	low := strings.ToLower(t)
	var partial []int
	for k := range n {
		name := strings.ToLower(b.ClassName(k))
		if name == low {
			return k, nil
		}
		if low != "" && strings.Contains(name, low) {
			partial = append(partial, k)
		}
	}
	switch {
	case len(partial) == 1:
		return partial[0], nil
	case len(partial) > 1:
		names := make([]string, 0, 3)
		for _, k := range partial[:min(3, len(partial))] {
			names = append(names, b.ClassName(k))
		}
		return -1, fmt.Errorf("%q matches %d classes (%s…): type more of the name, or its number", t, len(partial), strings.Join(names, ", "))
	}
	return -1, fmt.Errorf("no class is called %q: type a class name or a number from 0 to %d", t, n-1)
}
