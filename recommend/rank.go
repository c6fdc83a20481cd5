package recommend

// TopK appends to dst[:0] the k best items by score among those with
// allowed[i] (all items when allowed is nil), best first, ties to the smaller
// index. It allocates nothing when dst has capacity k.
func TopK(dst []int32, scores []float32, allowed []bool, k int) []int32 {
	dst = dst[:0]
	for i, s := range scores {
		if allowed != nil && !allowed[i] {
			continue
		}
		n := len(dst)
		if n == k {
			// Scanning in index order, an equal score never displaces.
			if !(s > scores[dst[n-1]]) {
				continue
			}
			dst = dst[:n-1]
			n--
		}
		// Insert after every entry with a score ≥ s (earlier index wins ties).
		j := n
		for j > 0 && scores[dst[j-1]] < s {
			j--
		}
		dst = append(dst, 0)
		copy(dst[j+1:], dst[j:n])
		dst[j] = int32(i)
	}
	return dst
}
