// Package widgets holds reusable Fyne widgets and the visual vocabulary
// Workbench's panes share: empty states, the job bar that runs long work
// with progress and Cancel (JobBar, and Do/DoAndWait to report to the UI
// goroutine), cards and panels, plot styling (NewPlot, tick labels, split
// colours), number formatting, form fields, zoomable images and flowing
// layouts, plus the layer-graph editor canvas (graphedit), the embedding
// scatter (scatter) and the linear classifier toy (lintoy).
//
// Widgets here know Fyne and images, never the engine: a pane turns engine
// results into the plain values these widgets display.
package widgets
