package inspect

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"sort"
	"strconv"
)

// EmbeddingKNNAccuracy measures how well a 2-D layout keeps classes
// apart: each point is classified by a majority vote of its k nearest
// other points in the layout (ties go to the smaller class index, as in
// scikit-learn's KNeighborsClassifier), and the result is the fraction
// classified correctly (leave-one-out). Neighbours are found through a
// uniform grid, so it is fast for any N.
func EmbeddingKNNAccuracy(layout []float64, labels []int32, k int) (float64, error) {
	n := len(labels)
	if len(layout) != 2*n {
		return 0, fmt.Errorf("layout holds %d values for %d labels; want 2 per point", len(layout), n)
	}
	if k < 1 || k > n-1 {
		return 0, fmt.Errorf("k %d must be from 1 to %d (the other points)", k, n-1)
	}
	classes := 0
	for _, l := range labels {
		if l < 0 {
			return 0, fmt.Errorf("label %d is negative", l)
		}
		classes = max(classes, int(l)+1)
	}
	g := newGrid2(layout, n)
	correct := 0
	votes := make([]int, classes)
	var h candHeap
	for i := range n {
		h = g.nearest(i, k, h[:0])
		clear(votes)
		for _, c := range h {
			votes[labels[c.i]]++
		}
		best := 0
		for c, v := range votes {
			if v > votes[best] {
				best = c
			}
		}
		if int32(best) == labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(n), nil
}

// grid2 buckets 2-D points into square cells for neighbour queries.
type grid2 struct {
	y          []float64
	x0, y0, cs float64
	nx, ny     int
	start      []int32 // cell c holds pts[start[c]:start[c+1]]
	pts        []int32
}

func newGrid2(y []float64, n int) *grid2 {
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := range n {
		minX, maxX = min(minX, y[2*i]), max(maxX, y[2*i])
		minY, maxY = min(minY, y[2*i+1]), max(maxY, y[2*i+1])
	}
	w, h := max(maxX-minX, 1e-12), max(maxY-minY, 1e-12)
	// About two points per cell.
	cs := math.Sqrt(w * h * 2 / float64(n))
	if !(cs > 0) || math.IsInf(cs, 0) {
		cs = max(w, h)
	}
	nx, ny := int(w/cs)+1, int(h/cs)+1
	for nx*ny > 4*n+16 {
		cs *= 1.5
		nx, ny = int(w/cs)+1, int(h/cs)+1
	}
	g := &grid2{y: y, x0: minX, y0: minY, cs: cs, nx: nx, ny: ny, start: make([]int32, nx*ny+1), pts: make([]int32, n)}
	cell := make([]int32, n)
	for i := range n {
		cx, cy := g.cell(i)
		cell[i] = int32(cy*nx + cx)
		g.start[cell[i]+1]++
	}
	for c := range nx * ny {
		g.start[c+1] += g.start[c]
	}
	fill := append([]int32(nil), g.start[:nx*ny]...)
	for i := range n {
		g.pts[fill[cell[i]]] = int32(i)
		fill[cell[i]]++
	}
	return g
}

func (g *grid2) cell(i int) (int, int) {
	cx := min(int((g.y[2*i]-g.x0)/g.cs), g.nx-1)
	cy := min(int((g.y[2*i+1]-g.y0)/g.cs), g.ny-1)
	return cx, cy
}

// nearest returns point i's k nearest other points, nearest first,
// searching rings of cells outwards until the ring is farther than the
// k-th candidate.
func (g *grid2) nearest(i, k int, h candHeap) candHeap {
	cx, cy := g.cell(i)
	px, py := g.y[2*i], g.y[2*i+1]
	for r := 0; ; r++ {
		for yy := cy - r; yy <= cy+r; yy++ {
			if yy < 0 || yy >= g.ny {
				continue
			}
			step := 1
			if yy != cy-r && yy != cy+r {
				step = 2 * r // only the ring's left and right cells
			}
			for xx := cx - r; xx <= cx+r; xx += max(step, 1) {
				if xx < 0 || xx >= g.nx {
					continue
				}
				c := yy*g.nx + xx
				for _, j := range g.pts[g.start[c]:g.start[c+1]] {
					if int(j) == i {
						continue
					}
					dx, dy := px-g.y[2*j], py-g.y[2*j+1]
					h.push(cand{dx*dx + dy*dy, j}, k)
				}
			}
		}
		// Everything outside ring r is at least r*cs away.
		reach := float64(r) * g.cs
		if len(h) == k && h[0].d <= reach*reach {
			break
		}
		if cx-r <= 0 && cy-r <= 0 && cx+r >= g.nx-1 && cy+r >= g.ny-1 {
			break
		}
	}
	sortCands(h)
	return h
}

// WriteLayoutCSV writes a 2-D layout as CSV: index,x,y and, when labels is
// not nil, label and (when classes names it) class.
func WriteLayoutCSV(w io.Writer, layout []float64, labels []int32, classes []string) error {
	n := len(layout) / 2
	if labels != nil && len(labels) != n {
		return fmt.Errorf("%d labels for %d points", len(labels), n)
	}
	bw := bufio.NewWriter(w)
	head := "index,x,y"
	if labels != nil {
		head += ",label"
		if classes != nil {
			head += ",class"
		}
	}
	bw.WriteString(head + "\n")
	for i := range n {
		bw.WriteString(strconv.Itoa(i))
		bw.WriteByte(',')
		bw.WriteString(strconv.FormatFloat(layout[2*i], 'g', -1, 64))
		bw.WriteByte(',')
		bw.WriteString(strconv.FormatFloat(layout[2*i+1], 'g', -1, 64))
		if labels != nil {
			bw.WriteByte(',')
			bw.WriteString(strconv.Itoa(int(labels[i])))
			if classes != nil {
				name := ""
				if l := int(labels[i]); l >= 0 && l < len(classes) {
					name = classes[l]
				}
				bw.WriteByte(',')
				bw.WriteString(csvField(name))
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func csvField(s string) string {
	for _, r := range s {
		if r == ',' || r == '"' || r == '\n' || r == '\r' {
			return strconv.Quote(s)
		}
	}
	return s
}

// Palette is the ten-colour qualitative palette (matplotlib's tab10) used
// to colour classes; class c gets Palette[c % 10].
var Palette = []color.NRGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

// ScatterImage draws a 2-D layout as a size×size picture on white, a
// 3-pixel dot per point coloured by class (grey without labels), fitted
// to the layout's extent with a margin. Points are drawn in index order.
func ScatterImage(layout []float64, labels []int32, size int) (*image.NRGBA, error) {
	n := len(layout) / 2
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("%d labels for %d points", len(labels), n)
	}
	if size < 16 || size > 16384 {
		return nil, fmt.Errorf("picture size %d: use 16 to 16384 pixels", size)
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	if n == 0 {
		return img, nil
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := range n {
		x0, x1 = min(x0, layout[2*i]), max(x1, layout[2*i])
		y0, y1 = min(y0, layout[2*i+1]), max(y1, layout[2*i+1])
	}
	span := max(x1-x0, y1-y0, 1e-12)
	margin := float64(size) * 0.04
	scale := (float64(size) - 2*margin - 1) / span
	ox := margin + (float64(size)-2*margin-1-(x1-x0)*scale)/2
	oy := margin + (float64(size)-2*margin-1-(y1-y0)*scale)/2
	for i := range n {
		col := color.NRGBA{90, 90, 90, 255}
		if labels != nil {
			col = Palette[int(labels[i])%len(Palette)]
		}
		px := int(math.Round(ox + (layout[2*i]-x0)*scale))
		py := int(math.Round(oy + (y1-layout[2*i+1])*scale)) // y up
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if image.Pt(px+dx, py+dy).In(img.Rect) {
					img.SetNRGBA(px+dx, py+dy, col)
				}
			}
		}
	}
	return img, nil
}

// SelectRegion lists the points of a layout inside the rectangle
// [x0,x1]×[y0,y1] (layout coordinates), in index order: a pane's
// rubber-band selection.
func SelectRegion(layout []float64, x0, y0, x1, y1 float64) []int {
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	if y0 > y1 {
		y0, y1 = y1, y0
	}
	var out []int
	for i := range len(layout) / 2 {
		if x, y := layout[2*i], layout[2*i+1]; x >= x0 && x <= x1 && y >= y0 && y <= y1 {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}

// GridAssign snaps a 2-D layout onto a cols×rows grid for the image-grid
// view (the course's t-SNE grid of thumbnails): the layout is scaled to
// the unit square, then each cell, row by row, takes the nearest point not
// yet taken. Cells are -1 when the points run out. O(cells·N).
func GridAssign(layout []float64, cols, rows int) ([]int, error) {
	n := len(layout) / 2
	if cols < 1 || rows < 1 || cols*rows > 1<<20 {
		return nil, fmt.Errorf("grid %dx%d: use 1 to 1,048,576 cells", cols, rows)
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := range n {
		x0, x1 = min(x0, layout[2*i]), max(x1, layout[2*i])
		y0, y1 = min(y0, layout[2*i+1]), max(y1, layout[2*i+1])
	}
	sx, sy := max(x1-x0, 1e-12), max(y1-y0, 1e-12)
	used := make([]bool, n)
	out := make([]int, cols*rows)
	for c := range out {
		cx := (float64(c%cols) + 0.5) / float64(cols)
		cy := 1 - (float64(c/cols)+0.5)/float64(rows) // row 0 at the top: y up
		best, bd := -1, math.Inf(1)
		for i := range n {
			if used[i] {
				continue
			}
			dx, dy := (layout[2*i]-x0)/sx-cx, (layout[2*i+1]-y0)/sy-cy
			if d := dx*dx + dy*dy; d < bd {
				best, bd = i, d
			}
		}
		out[c] = best
		if best >= 0 {
			used[best] = true
		}
	}
	return out, nil
}

// ThumbnailGrid draws the image-grid view: cell c of a cols×rows grid of
// tile×tile pixel cells shows image(assign[c]) scaled to fit (nearest
// neighbour), empty cells the background. assign comes from GridAssign.
func ThumbnailGrid(assign []int, cols, rows, tile int, img func(i int) image.Image) (*image.NRGBA, error) {
	if cols < 1 || rows < 1 || len(assign) != cols*rows {
		return nil, fmt.Errorf("%d cells do not make a %dx%d grid", len(assign), cols, rows)
	}
	if tile < 1 || tile > 1024 || cols*tile > 16384 || rows*tile > 16384 {
		return nil, fmt.Errorf("tile %d pixels in a %dx%d grid: keep tiles 1-1024 pixels and the picture under 16384", tile, cols, rows)
	}
	out := image.NewNRGBA(image.Rect(0, 0, cols*tile, rows*tile))
	for i := 0; i < len(out.Pix); i += 4 {
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = Background.R, Background.G, Background.B, 255
	}
	for c, i := range assign {
		if i < 0 {
			continue
		}
		src := img(i)
		if src == nil {
			continue
		}
		b := src.Bounds()
		x0, y0 := (c%cols)*tile, (c/cols)*tile
		for y := range tile {
			for x := range tile {
				sx := b.Min.X + x*b.Dx()/tile
				sy := b.Min.Y + y*b.Dy()/tile
				out.SetNRGBA(x0+x, y0+y, color.NRGBAModel.Convert(src.At(sx, sy)).(color.NRGBA))
			}
		}
	}
	return out, nil
}

// Locator answers "which point is under the cursor?" for a 2-D layout
// (hover in a scatter pane): build it once per layout, query often.
type Locator struct{ g *grid2 }

// NewLocator indexes a layout (N×2 values).
func NewLocator(layout []float64) *Locator {
	return &Locator{g: newGrid2(layout, len(layout)/2)}
}

// Nearest returns the point nearest to (x, y) in layout coordinates and
// its distance; -1 for an empty layout.
func (l *Locator) Nearest(x, y float64) (int, float64) {
	g := l.g
	if len(g.pts) == 0 {
		return -1, math.Inf(1)
	}
	cx := min(max(int((x-g.x0)/g.cs), 0), g.nx-1)
	cy := min(max(int((y-g.y0)/g.cs), 0), g.ny-1)
	best, bd := -1, math.Inf(1)
	for r := 0; ; r++ {
		for yy := cy - r; yy <= cy+r; yy++ {
			if yy < 0 || yy >= g.ny {
				continue
			}
			for xx := cx - r; xx <= cx+r; xx++ {
				if xx < 0 || xx >= g.nx || (yy != cy-r && yy != cy+r && xx != cx-r && xx != cx+r) {
					continue
				}
				c := yy*g.nx + xx
				for _, j := range g.pts[g.start[c]:g.start[c+1]] {
					dx, dy := x-g.y[2*j], y-g.y[2*j+1]
					if d := dx*dx + dy*dy; d < bd || (d == bd && int(j) < best) {
						best, bd = int(j), d
					}
				}
			}
		}
		// A query outside the grid is farther from unvisited cells than
		// the ring suggests, never nearer, so the test stays safe.
		reach := float64(r) * g.cs
		if best >= 0 && bd <= reach*reach {
			break
		}
		if cx-r <= 0 && cy-r <= 0 && cx+r >= g.nx-1 && cy+r >= g.ny-1 {
			break
		}
	}
	return best, math.Sqrt(bd)
}
