package encoder

import "sort"

// rangeTable is a sorted list of inclusive code point ranges.
type rangeTable [][2]rune

// contains reports whether r lies in one of t's ranges.
func (t rangeTable) contains(r rune) bool {
	i := sort.Search(len(t), func(i int) bool { return t[i][1] >= r })
	return i < len(t) && t[i][0] <= r
}
