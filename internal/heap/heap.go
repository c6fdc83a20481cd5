// Package heap is a binary heap for the top-k selections outside the
// graph's search: the benchmark's exact ground truth keeps its k best
// pairs on it. It lives under internal/ because only Quiver's packages use
// it.
//
// It is a set of generic functions over a slice and a less function rather
// than a type with a Less method: the compiler calls a type parameter's
// methods through a dictionary, one indirect call per comparison. Push is
// small enough to inline into a caller that passes a named function, and
// the comparison then inlines too; Pop and ReplaceTop are not, and call
// less indirectly. That is why the graph's search keeps its own heaps
// (hnsw/heap.go), whose comparisons are direct.
//
// h[0] is always the least element under less; the rest of the slice is in
// heap order, not sorted. No function allocates except when Push grows the
// slice.
package heap

// Push adds x to h.
func Push[T any](h *[]T, x T, less func(a, b T) bool) {
	*h = append(*h, x)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(x, s[p]) {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = x
}

// Pop removes and returns the least element; h must not be empty.
func Pop[T any](h *[]T, less func(a, b T) bool) T {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	*h = s
	if len(s) > 0 {
		ReplaceTop(s, last, less)
	}
	return top
}

// ReplaceTop puts x in place of the least element of the non-empty h and
// restores the order: a Pop then a Push in one pass.
func ReplaceTop[T any](h []T, x T, less func(a, b T) bool) {
	i, n := 0, len(h)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && less(h[r], h[c]) {
			c = r
		}
		if !less(h[c], x) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}

// Offer keeps in h the k greatest elements under less seen so far: it
// adds x while h holds fewer than k, and then replaces the least kept
// element when x is greater. It reports whether x was kept.
func Offer[T any](h *[]T, x T, k int, less func(a, b T) bool) bool {
	if len(*h) < k {
		Push(h, x, less)
		return true
	}
	if k == 0 || !less((*h)[0], x) {
		return false
	}
	ReplaceTop(*h, x, less)
	return true
}
