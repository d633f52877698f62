package graphedit

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/software"
)

// exportMargin surrounds the graph in exported images, in canvas units.
const exportMargin = 30

// Export limits: an image at most this many pixels, and this long a side;
// a larger graph is drawn at a smaller scale.
const (
	maxExportPixels = 40 << 20
	maxExportSide   = 16384
)

// exportBounds is the area of the canvas an export shows.
func (e *Editor) exportBounds() (x0, y0, x1, y1 float32) {
	s := e.sc
	if len(s.items) == 0 {
		return 0, 0, 200, 100
	}
	x0, y0, x1, y1 = s.x0, s.y0, s.x1, s.y1
	// Error callouts stick out to the right of their cards.
	for k := range s.items {
		if s.items[k].hasErr(e) {
			_, cy0, cx1, _ := s.items[k].rect()
			x1 = max(x1, cx1+12+calloutWidth)
			y1 = max(y1, cy0+100)
		}
	}
	return x0 - exportMargin, y0 - exportMargin, x1 + exportMargin, y1 + exportMargin
}

// RenderImage draws the whole graph (not just the view) at the given scale
// (1: one pixel per canvas unit), without the selection, overview or
// scroll bars. Very large graphs are drawn smaller, so that the image
// stays under 40 megapixels and 16384 pixels a side.
func (e *Editor) RenderImage(scale float32) image.Image {
	x0, y0, x1, y1 := e.exportBounds()
	w, h := x1-x0, y1-y0
	scale = max(scale, 0.01)
	if a := w * h * scale * scale; a > maxExportPixels {
		scale *= float32(math.Sqrt(float64(maxExportPixels / a)))
	}
	scale = min(scale, maxExportSide/w, maxExportSide/h)
	x := &Editor{g: e.g, ann: e.ann, Style: e.Style, zoom: scale, sel: map[string]bool{}, keys: map[fyne.KeyName]bool{},
		exporter: true, offset: fyne.NewPos(x0, y0)}
	x.ExtendBaseWidget(x)
	x.sc = e.sc
	size := fyne.NewSize(float32(math.Floor(float64(w*scale))), float32(math.Floor(float64(h*scale))))
	x.size = size
	c := software.NewCanvas()
	c.SetPadded(false)
	c.SetContent(x)
	c.Resize(size)
	x.offset = fyne.NewPos(x0, y0)
	x.Refresh()
	return c.Capture()
}

// ExportPNG writes the whole graph as a PNG image (see RenderImage).
func (e *Editor) ExportPNG(w io.Writer, scale float32) error {
	if err := png.Encode(w, e.RenderImage(scale)); err != nil {
		return fmt.Errorf("cannot write the PNG image: %w", err)
	}
	return nil
}

// ExportSVG writes the whole graph as an SVG drawing: cards, ports,
// connections with arrows, block frames and error callouts, as on screen
// at 100 %.
func (e *Editor) ExportSVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	x0, y0, x1, y1 := e.exportBounds()
	col := e.colours()
	tc := textCache{}
	f := func(v float32) string { return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".") }
	px := func(x float32) string { return f(x - x0) }
	py := func(y float32) string { return f(y - y0) }
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="Noto Sans, DejaVu Sans, Helvetica, Arial, sans-serif">`+"\n",
		f(x1-x0), f(y1-y0), f(x1-x0), f(y1-y0))
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="%s"/>`+"\n", hexColour(col.canvas))
	s := e.sc
	for _, fr := range s.frames {
		fmt.Fprintf(bw, `<g class="block"><rect x="%s" y="%s" width="%s" height="%s" rx="10" fill="%s" stroke="%s"/>`,
			px(fr.x0), py(fr.y0), f(fr.x1-fr.x0), f(fr.y1-fr.y0), hexColour(col.frameBg), hexColour(col.frame))
		fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="11" font-weight="bold" text-anchor="end" fill="%s">%s</text></g>`+"\n",
			px(fr.x0-4), py(fr.y0+11), hexColour(col.frame), xmlText(fr.name))
	}
	for _, ed := range s.edges {
		var d strings.Builder
		for i, p := range ed.pts {
			if i == 0 {
				fmt.Fprintf(&d, "M%s,%s", px(p.X), py(p.Y))
			} else {
				fmt.Fprintf(&d, " L%s,%s", px(p.X), py(p.Y))
			}
		}
		fmt.Fprintf(bw, `<path class="edge" data-from="%s" data-to="%s" d="%s" fill="none" stroke="%s" stroke-width="1.4"/>`+"\n",
			xmlText(ed.src), xmlText(ed.dst), d.String(), hexColour(col.edge))
	}
	for k := range s.items {
		it := &s.items[k]
		cx0, cy0, _, _ := it.rect()
		title, sub, shape, detail, errMsg, _ := e.cardText(k)
		stroke, sw := col.border, float32(1)
		if errMsg != "" {
			stroke, sw = col.errc, 1.8
		}
		fmt.Fprintf(bw, `<g class="node" id="%s">`, xmlText(it.id))
		if it.block {
			fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%d" height="%d" rx="6" fill="%s" stroke="%s"/>`,
				px(cx0+5), py(cy0+5), NodeWidth, NodeHeight, hexColour(col.card), hexColour(col.border))
		}
		fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%d" height="%d" rx="6" fill="%s" stroke="%s" stroke-width="%s"/>`,
			px(cx0), py(cy0), NodeWidth, NodeHeight, hexColour(col.card), hexColour(stroke), f(sw))
		fmt.Fprintf(bw, `<rect x="%s" y="%s" width="4" height="%d" rx="2" fill="%s"/>`,
			px(cx0+4), py(cy0+6), NodeHeight-12, hexColour(it.style.Accent))
		if shape == "" {
			shape = "?"
		}
		tw := float32(NodeWidth - 24)
		dw := tc.width(detail, 10.5, fyne.TextStyle{})
		fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="12" font-weight="bold" fill="%s">%s</text>`,
			px(cx0+14), py(cy0+17), hexColour(col.fg), xmlText(tc.fit(title, 12, fyne.TextStyle{Bold: true}, tw)))
		fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="10.5" fill="%s">%s</text>`,
			px(cx0+14), py(cy0+32), hexColour(col.muted), xmlText(tc.fit(sub, 10.5, fyne.TextStyle{}, NodeWidth-22)))
		fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="10.5" font-weight="bold" fill="%s">%s</text>`,
			px(cx0+14), py(cy0+48), hexColour(col.fg), xmlText(tc.fit(shape, 10.5, fyne.TextStyle{Bold: true}, NodeWidth-30-dw)))
		if detail != "" {
			fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="10.5" text-anchor="end" fill="%s">%s</text>`,
				px(cx0+NodeWidth-10), py(cy0+48), hexColour(col.muted), xmlText(detail))
		}
		if it.hasIn() {
			in := it.inPort()
			fmt.Fprintf(bw, `<circle cx="%s" cy="%s" r="4.5" fill="%s" stroke="%s" stroke-width="1.6"/>`,
				px(in.X), py(in.Y), hexColour(col.card), hexColour(it.style.Accent))
		}
		if it.hasOut() {
			out := it.outPort()
			fmt.Fprintf(bw, `<circle cx="%s" cy="%s" r="4.5" fill="%s" stroke="%s" stroke-width="1.6"/>`,
				px(out.X), py(out.Y), hexColour(col.card), hexColour(it.style.Accent))
		}
		if errMsg != "" {
			bx, by := cx0+NodeWidth-9, cy0-4.5+7.5
			fmt.Fprintf(bw, `<circle class="badge" cx="%s" cy="%s" r="7.5" fill="%s"/><text x="%s" y="%s" font-size="11" font-weight="bold" text-anchor="middle" fill="#ffffff">!</text>`,
				px(bx), py(by), hexColour(col.errc), px(bx), py(by+4))
		}
		bw.WriteString("</g>\n")
	}
	// Callouts last, above every card.
	for k := range s.items {
		it := &s.items[k]
		_, _, _, _, msg, fix := e.cardText(k)
		if msg == "" {
			continue
		}
		_, cy0, cx1, _ := it.rect()
		inner := float32(calloutWidth - 16)
		lines := tc.wrap(msg, 10.5, fyne.TextStyle{}, inner)
		nMsg := len(lines)
		if fix != "" {
			lines = append(lines, tc.wrap("Fix: "+fix, 10.5, fyne.TextStyle{Bold: true}, inner)...)
		}
		h := float32(len(lines))*14 + 10
		fmt.Fprintf(bw, `<g class="error" data-node="%s"><rect x="%s" y="%s" width="%d" height="%s" rx="5" fill="%s" stroke="%s"/>`,
			xmlText(it.id), px(cx1+12), py(cy0), calloutWidth, f(h), hexColour(col.errBg), hexColour(col.errc))
		for i, l := range lines {
			c, weight := col.fg, "normal"
			if i >= nMsg {
				c, weight = col.errc, "bold"
			}
			fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="10.5" font-weight="%s" fill="%s">%s</text>`,
				px(cx1+20), py(cy0+16+float32(i)*14), weight, hexColour(c), xmlText(l))
		}
		bw.WriteString("</g>\n")
	}
	bw.WriteString("</svg>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cannot write the SVG drawing: %w", err)
	}
	return nil
}

func hexColour(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return fmt.Sprintf("#%02x%02x%02x", n.R, n.G, n.B)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func xmlText(s string) string { return xmlEscaper.Replace(s) }
