package quickselect

import "cmp"

// Nth reorders keys so that keys[k] is the k-th smallest (0-based), the
// smaller ones before it and the larger ones after, and returns it. swap,
// when not nil, is called with every pair of indices Nth exchanges, so that
// a parallel slice can follow the keys.
func Nth[K cmp.Ordered](keys []K, k int, swap func(i, j int)) K {
	lo, hi := 0, len(keys)-1
	for lo < hi {
		p := keys[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for keys[i] < p {
				i++
			}
			for keys[j] > p {
				j--
			}
			if i <= j {
				keys[i], keys[j] = keys[j], keys[i]
				if swap != nil {
					swap(i, j)
				}
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return keys[k]
		}
	}
	return keys[k]
}
