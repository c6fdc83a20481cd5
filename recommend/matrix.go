package recommend

import (
	"cmp"
	"fmt"
	"slices"
)

// Interaction is one (user, item) event. Weight may be negative (a dislike);
// Time orders events of the same pair and feeds recency weighting.
type Interaction struct {
	User, Item int32
	Weight     float32
	Time       int64
}

// Duplicates says how Build merges events of the same (user, item) pair.
type Duplicates uint8

const (
	// SumDuplicates adds the weights and keeps the latest time; a pair whose
	// weights cancel to exactly zero (a like, then its undo) is dropped.
	SumDuplicates Duplicates = iota
	// LastWins keeps the event with the latest time (the last in input order
	// among equal times), so a re-rating replaces the old rating.
	LastWins
)

// Matrix is a sparse user×item matrix in compressed rows both ways: user →
// items and item → users. It is immutable after Build and safe for
// concurrent readers.
type Matrix struct {
	users, items int
	byUser       csr
	byItem       csr
}

// csr holds rows of (column, weight, time), columns ascending within a row.
type csr struct {
	ptr    []int32 // row r is [ptr[r], ptr[r+1])
	col    []int32
	weight []float32
	time   []int64
}

func (c *csr) row(r int) (cols []int32, weights []float32) {
	lo, hi := c.ptr[r], c.ptr[r+1]
	return c.col[lo:hi], c.weight[lo:hi]
}

// Build makes a Matrix of users×items from events; users and items are the
// matrix shape, and every event's indices must fall inside it.
func Build(users, items int, events []Interaction, dup Duplicates) (*Matrix, error) {
	if users < 0 || items < 0 {
		return nil, fmt.Errorf("build matrix %d×%d: %w", users, items, ErrIndex)
	}
	sorted := make([]Interaction, len(events))
	copy(sorted, events)
	for i, e := range sorted {
		if e.User < 0 || int(e.User) >= users || e.Item < 0 || int(e.Item) >= items {
			return nil, fmt.Errorf("build matrix: event %d (user %d, item %d) outside %d×%d: %w", i, e.User, e.Item, users, items, ErrIndex)
		}
	}
	// Stable, so equal times keep input order and "last" means last given.
	slices.SortStableFunc(sorted, func(a, b Interaction) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Item, b.Item), cmp.Compare(a.Time, b.Time))
	})
	merged := sorted[:0]
	for _, e := range sorted {
		n := len(merged)
		if n == 0 || merged[n-1].User != e.User || merged[n-1].Item != e.Item {
			merged = append(merged, e)
			continue
		}
		last := &merged[n-1]
		if dup == LastWins {
			*last = e
		} else {
			last.Weight += e.Weight
			last.Time = e.Time
		}
	}
	if dup == SumDuplicates {
		merged = slices.DeleteFunc(merged, func(e Interaction) bool { return e.Weight == 0 })
	}
	m := &Matrix{users: users, items: items}
	m.byUser = fill(users, merged, func(e Interaction) (int32, int32) { return e.User, e.Item })
	slices.SortStableFunc(merged, func(a, b Interaction) int {
		return cmp.Or(cmp.Compare(a.Item, b.Item), cmp.Compare(a.User, b.User))
	})
	m.byItem = fill(items, merged, func(e Interaction) (int32, int32) { return e.Item, e.User })
	return m, nil
}

// fill builds rows from events sorted by (row, column).
func fill(rows int, events []Interaction, key func(Interaction) (row, col int32)) csr {
	c := csr{
		ptr:    make([]int32, rows+1),
		col:    make([]int32, len(events)),
		weight: make([]float32, len(events)),
		time:   make([]int64, len(events)),
	}
	for i, e := range events {
		r, col := key(e)
		c.ptr[r+1]++
		c.col[i], c.weight[i], c.time[i] = col, e.Weight, e.Time
	}
	for r := range rows {
		c.ptr[r+1] += c.ptr[r]
	}
	return c
}

// Users is the number of rows.
func (m *Matrix) Users() int { return m.users }

// Items is the number of columns.
func (m *Matrix) Items() int { return m.items }

// NNZ is the number of stored (user, item) pairs.
func (m *Matrix) NNZ() int { return len(m.byUser.col) }

// UserItems returns user u's items (ascending) and weights. The slices alias
// the matrix: read them, never write.
func (m *Matrix) UserItems(u int) (items []int32, weights []float32) { return m.byUser.row(u) }

// UserTimes returns the times of UserItems(u), in the same order; aliased.
func (m *Matrix) UserTimes(u int) []int64 {
	return m.byUser.time[m.byUser.ptr[u]:m.byUser.ptr[u+1]]
}

// ItemUsers returns item i's users (ascending) and weights; aliased.
func (m *Matrix) ItemUsers(i int) (users []int32, weights []float32) { return m.byItem.row(i) }

// UserCount is the number of items user u interacted with.
func (m *Matrix) UserCount(u int) int { return int(m.byUser.ptr[u+1] - m.byUser.ptr[u]) }

// ItemCount is the number of users who interacted with item i.
func (m *Matrix) ItemCount(i int) int { return int(m.byItem.ptr[i+1] - m.byItem.ptr[i]) }

// Has reports whether (u, i) is stored.
func (m *Matrix) Has(u, i int) bool {
	items, _ := m.UserItems(u)
	_, ok := slices.BinarySearch(items, int32(i))
	return ok
}

// Reweighted returns a matrix with the same pairs and times and weight
// f(user, item, weight, time). Pairs mapped to weight 0 are kept, so the
// shape of observed data does not change.
func (m *Matrix) Reweighted(f func(u, i int, w float32, t int64) float32) *Matrix {
	w := make([]float32, len(m.byUser.weight))
	for u := range m.users {
		for k := m.byUser.ptr[u]; k < m.byUser.ptr[u+1]; k++ {
			w[k] = f(u, int(m.byUser.col[k]), m.byUser.weight[k], m.byUser.time[k])
		}
	}
	return m.withUserWeights(w)
}

// withUserWeights returns m with the user rows' weights replaced by w (in
// storage order) and the item rows' weights transposed to match.
func (m *Matrix) withUserWeights(w []float32) *Matrix {
	out := &Matrix{users: m.users, items: m.items, byUser: m.byUser, byItem: m.byItem}
	out.byUser.weight = w
	// The item rows are the transpose: find each pair's new weight by a
	// binary search in the user row.
	out.byItem.weight = make([]float32, len(m.byItem.weight))
	for i := range m.items {
		for k := m.byItem.ptr[i]; k < m.byItem.ptr[i+1]; k++ {
			u := int(m.byItem.col[k])
			lo, hi := out.byUser.ptr[u], out.byUser.ptr[u+1]
			j, _ := slices.BinarySearch(out.byUser.col[lo:hi], int32(i))
			out.byItem.weight[k] = w[int(lo)+j]
		}
	}
	return out
}
