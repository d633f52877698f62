package data

import "fmt"

// synthSet makes n images of c x h x w in k classes, label i%k, with
// pixels that identify the image.
func synthSet(n, k, c, h, w int) *Set {
	s := &Set{C: c, H: h, W: w, Images: make([]uint8, n*c*h*w), Labels: make([]int32, n)}
	for i := range k {
		s.Classes = append(s.Classes, fmt.Sprintf("class%d", i))
	}
	for i := range n {
		s.Labels[i] = int32(i % k)
		im := s.Image(i)
		for j := range im {
			im[j] = uint8((i*31 + j*7) % 256)
		}
	}
	return s
}
