package assets

import _ "embed"

// IconPNG is the application icon, 512×512 PNG, drawn by scripts/genicon
// (go run ./scripts/genicon -o assets/icon.png).
//
//go:embed icon.png
var IconPNG []byte
