// Package assets embeds the files Workbench ships inside its binary: the
// sample dataset (SampleFS) and, beside it, icons and the sample project.
// It is a leaf package: it imports nothing from the project.
package assets
