// Package widgets holds reusable Fyne widgets for Workbench's panes: empty
// states, and (as the panes arrive) the layer-graph editor canvas, image
// grids, heat maps, scatter plots with thumbnails and plot views.
//
// Widgets here know Fyne and images, never the engine: a pane in package app
// turns engine results into the plain values these widgets display.
package widgets
