package assets

import "embed"

// SampleFS holds the embedded sample dataset under "sample/": a
// class-balanced subset of Fashion-MNIST as gzipped IDX files plus
// classes.txt, cut by scripts/make-sample (see sample/README.md).
//
//go:embed sample/*.gz sample/classes.txt sample/README.md
var SampleFS embed.FS
