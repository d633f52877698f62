// Command packicons makes the installers' icons from assets/icon.png: a
// Windows .ico (PNG-compressed entries from 16 to 256 pixels) and the
// freedesktop hicolor PNGs (the app icon and the .wbproj document icon). It is
// plain Go so that package.sh needs no image tools on any platform.
//
// Run from the repository root:
//
//	go run ./scripts/packicons -ico build/windows/workbench.ico
//	go run ./scripts/packicons -hicolor build/deb/workbench/usr/share/icons
package main
