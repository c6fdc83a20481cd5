package trainer

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/userid"
)

// Model is a trained iALS model with the ids of its users and items. It is
// immutable and safe for concurrent use.
type Model struct {
	users   map[userid.ID]int32
	userIDs []userid.ID
	items   map[pointid.ID]int32
	itemIDs []pointid.ID
	// counts are the interactions of each item in training: popularity,
	// for users with no history; byCount orders the items by it, most
	// first (ties to the earlier in training order).
	counts  []uint32
	byCount []int32
	recipe  recipe
	// vector is the collection's named vector that holds the item
	// factors, "" when the collection has none to hold them.
	vector string
	ials   *recommend.IALS
	// ratings predicts explicit ratings from the raw weights (nil in a
	// model saved without one).
	ratings *recommend.Ratings
	// hybridVector is the collection's named vector that holds the
	// hybrid's item vectors, "" (and hybrid nil) without a hybrid.
	hybridVector string
	hybrid       *recommend.DotHybrid
}

// Vector names the collection's vector that holds the item factors, ""
// when there is none.
func (m *Model) Vector() string { return m.vector }

// Factors is the dimension of the model's vectors.
func (m *Model) Factors() int { return m.ials.Factors() }

// Users and Items count what the model was trained on.
func (m *Model) Users() int { return len(m.userIDs) }

// Items counts the points the model has vectors for.
func (m *Model) Items() int { return len(m.itemIDs) }

// UserVector returns the trained vector of a user (aliased: do not
// modify), and false for a user the model has not seen.
func (m *Model) UserVector(user userid.ID) ([]float32, bool) {
	u, ok := m.users[user]
	if !ok {
		return nil, false
	}
	return m.ials.UserVector(int(u)), true
}

// ItemVector returns the vector of a point (aliased), and false for a
// point the model has not seen.
func (m *Model) ItemVector(id pointid.ID) ([]float32, bool) {
	i, ok := m.items[id]
	if !ok {
		return nil, false
	}
	return m.ials.ItemVector(int(i)), true
}

// ItemIDs returns the model's points in dense order (aliased).
func (m *Model) ItemIDs() []pointid.ID { return m.itemIDs }

// FoldIn returns the vector of a user with these interactions (raw
// weights and their Unix times), item factors held fixed: the training
// solve (Hu et al. §4) on the history weighed as training weighed it.
// Items the model has not seen are left out; known reports whether any
// was left.
func (m *Model) FoldIn(items []pointid.ID, weights []float32, times []int64) (vec []float32, known bool, err error) {
	idx, ws := m.dense(items, weights, times)
	v, err := m.ials.FoldIn(nil, idx, ws)
	return v, len(idx) > 0, err
}

// Contribution is one past item's share of a recommendation's score.
type Contribution = index.Contribution

// Explain splits the score of each target for a user with these
// interactions into the contributions of the past items (Hu et al. §5),
// the n largest each; a target the model has not seen gets none.
func (m *Model) Explain(items []pointid.ID, weights []float32, times []int64, targets []pointid.ID, n int) ([][]Contribution, error) {
	idx, ws := m.dense(items, weights, times)
	var known []int32
	var at []int
	for t, id := range targets {
		if i, ok := m.items[id]; ok {
			known, at = append(known, i), append(at, t)
		}
	}
	ex, err := m.ials.ExplainEach(idx, ws, known, n)
	if err != nil {
		return nil, err
	}
	out := make([][]Contribution, len(targets))
	for k, e := range ex {
		cs := make([]Contribution, len(e.Top))
		for i, c := range e.Top {
			cs[i] = Contribution{ID: m.itemIDs[c.Item], Contribution: c.Value}
		}
		out[at[k]] = cs
	}
	return out, nil
}

// Popular returns up to n of the model's items, most interacted with
// first (ties to the earlier in training order).
func (m *Model) Popular(n int) []Item {
	out := make([]Item, 0, min(n, len(m.byCount)))
	for _, i := range m.byCount[:min(n, len(m.byCount))] {
		out = append(out, Item{m.itemIDs[i], int(m.counts[i])})
	}
	return out
}

// rankByCount sets byCount from counts.
func (m *Model) rankByCount() {
	m.byCount = make([]int32, len(m.counts))
	for i := range m.byCount {
		m.byCount[i] = int32(i)
	}
	slices.SortStableFunc(m.byCount, func(a, b int32) int { return cmp.Compare(m.counts[b], m.counts[a]) })
}

// dense maps a user's items to the model's indices and weighs them as
// training did, dropping unknown items and repeats (the first counts).
func (m *Model) dense(items []pointid.ID, weights []float32, times []int64) ([]int32, []float32) {
	idx, ws, ts := m.known(items, weights, times)
	m.recipe.weigh(ws, ts)
	return idx, ws
}

// known maps a user's items to the model's indices with their raw weights
// and times, dropping unknown items and repeats (the first counts).
func (m *Model) known(items []pointid.ID, weights []float32, times []int64) ([]int32, []float32, []int64) {
	idx := make([]int32, 0, len(items))
	ws := make([]float32, 0, len(items))
	ts := make([]int64, 0, len(items))
	seen := make(map[int32]bool, len(items))
	for k, id := range items {
		if i, ok := m.items[id]; ok && !seen[i] {
			seen[i] = true
			idx = append(idx, i)
			ws = append(ws, weights[k])
			ts = append(ts, times[k])
		}
	}
	return idx, ws, ts
}

// The saved form: "QTRM" version(4), the recipe (binary(1) beta(8)
// halfLife(8)), the vector's name (length(2) bytes), users(4) user keys,
// items(4) item keys, the items' counts (4 each), the rating model's saved
// form (length(4) bytes; length 0 for none), the hybrid's vector name
// (length(2) bytes) and saved item side (length(4) bytes, see
// recommend.LoadDotHybrid; length 0 for none), then the iALS model's own
// saved form. Version 2, without the hybrid section, still loads.
const (
	modelMagic   = "QTRM"
	modelVersion = 3
)

// MarshalBinary returns the model's saved form.
func (m *Model) MarshalBinary() ([]byte, error) {
	out := append([]byte(modelMagic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[4:], modelVersion)
	var bin byte
	if m.recipe.binary {
		bin = 1
	}
	out = append(out, bin)
	out = binary.LittleEndian.AppendUint64(out, math.Float64bits(m.recipe.beta))
	out = binary.LittleEndian.AppendUint64(out, math.Float64bits(m.recipe.halfLife))
	out = binary.LittleEndian.AppendUint16(out, uint16(len(m.vector)))
	out = append(out, m.vector...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(m.userIDs)))
	for _, u := range m.userIDs {
		out = u.AppendKey(out)
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(m.itemIDs)))
	for _, i := range m.itemIDs {
		out = i.AppendKey(out)
	}
	for _, n := range m.counts {
		out = binary.LittleEndian.AppendUint32(out, n)
	}
	var ratings []byte
	if m.ratings != nil {
		var err error
		if ratings, err = m.ratings.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(ratings)))
	out = append(out, ratings...)
	var hybrid []byte
	if m.hybrid != nil {
		var err error
		if hybrid, err = m.hybrid.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	out = binary.LittleEndian.AppendUint16(out, uint16(len(m.hybridVector)))
	out = append(out, m.hybridVector...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(hybrid)))
	out = append(out, hybrid...)
	ials, err := m.ials.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(out, ials...), nil
}

// loadModel reads a saved model. Counts are checked against the bytes
// present: a user key takes at least 4 bytes, a point key 9.
func loadModel(b []byte) (*Model, error) {
	if len(b) < 12 || string(b[:4]) != modelMagic {
		return nil, errors.New("model: not a saved model")
	}
	version := binary.LittleEndian.Uint32(b[4:])
	if version != modelVersion && version != 2 {
		return nil, fmt.Errorf("model: version %d, want 2 or %d", version, modelVersion)
	}
	rest := b[8:]
	m := &Model{users: map[userid.ID]int32{}, items: map[pointid.ID]int32{}}
	if len(rest) < 19 {
		return nil, errors.New("model: truncated")
	}
	m.recipe = recipe{binary: rest[0] == 1,
		beta:     math.Float64frombits(binary.LittleEndian.Uint64(rest[1:])),
		halfLife: math.Float64frombits(binary.LittleEndian.Uint64(rest[9:]))}
	n := int(binary.LittleEndian.Uint16(rest[17:]))
	rest = rest[19:]
	if n > len(rest) {
		return nil, errors.New("model: truncated vector name")
	}
	m.vector, rest = string(rest[:n]), rest[n:]
	if len(rest) < 4 {
		return nil, errors.New("model: truncated")
	}
	n = int(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	if n > len(rest)/4 {
		return nil, fmt.Errorf("model: %d users in %d bytes", n, len(rest))
	}
	for u := range n {
		id, r, err := userid.DecodeKey(rest)
		if err != nil {
			return nil, fmt.Errorf("model: user %d: %w", u, err)
		}
		m.users[id] = int32(u)
		m.userIDs = append(m.userIDs, id)
		rest = r
	}
	if len(rest) < 4 {
		return nil, errors.New("model: truncated")
	}
	n = int(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	if n > len(rest)/9 {
		return nil, fmt.Errorf("model: %d items in %d bytes", n, len(rest))
	}
	for i := range n {
		id, r, err := pointid.DecodeKey(rest)
		if err != nil {
			return nil, fmt.Errorf("model: item %d: %w", i, err)
		}
		m.items[id] = int32(i)
		m.itemIDs = append(m.itemIDs, id)
		rest = r
	}
	if len(rest) < 4*n {
		return nil, errors.New("model: truncated item counts")
	}
	m.counts = make([]uint32, n)
	for i := range m.counts {
		m.counts[i] = binary.LittleEndian.Uint32(rest[4*i:])
	}
	rest = rest[4*n:]
	m.rankByCount()
	if len(rest) < 4 || int(binary.LittleEndian.Uint32(rest)) > len(rest)-4 {
		return nil, errors.New("model: truncated rating model")
	}
	if n = int(binary.LittleEndian.Uint32(rest)); n > 0 {
		r, err := recommend.LoadRatings(rest[4 : 4+n])
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		if r.Items() != len(m.itemIDs) {
			return nil, fmt.Errorf("model: rating model of %d items, want %d", r.Items(), len(m.itemIDs))
		}
		m.ratings = r
	}
	rest = rest[4+n:]
	var hybrid []byte
	if version >= 3 {
		if len(rest) < 2 || int(binary.LittleEndian.Uint16(rest)) > len(rest)-2 {
			return nil, errors.New("model: truncated hybrid vector name")
		}
		n = int(binary.LittleEndian.Uint16(rest))
		m.hybridVector, rest = string(rest[2:2+n]), rest[2+n:]
		if len(rest) < 4 || int(binary.LittleEndian.Uint32(rest)) > len(rest)-4 {
			return nil, errors.New("model: truncated hybrid")
		}
		n = int(binary.LittleEndian.Uint32(rest))
		hybrid, rest = rest[4:4+n], rest[4+n:]
		if (m.hybridVector == "") != (n == 0) {
			return nil, fmt.Errorf("model: hybrid vector %q with %d bytes of hybrid", m.hybridVector, n)
		}
	}
	ials, err := recommend.LoadIALS(rest)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if ials.Users() != len(m.userIDs) || ials.Items() != len(m.itemIDs) {
		return nil, fmt.Errorf("model: %d users and %d items, factors for %d and %d", len(m.userIDs), len(m.itemIDs), ials.Users(), ials.Items())
	}
	m.ials = ials
	if len(hybrid) > 0 {
		if m.hybrid, err = recommend.LoadDotHybrid(hybrid, ials); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
	}
	return m, nil
}

// withoutUser returns a copy of m without the user, or m itself when the
// model does not know the user.
func (m *Model) withoutUser(user userid.ID) (*Model, error) {
	u, ok := m.users[user]
	if !ok {
		return m, nil
	}
	ials, err := m.ials.WithoutUser(int(u))
	if err != nil {
		return nil, err
	}
	out := *m
	out.ials = ials
	if m.ratings != nil && m.ratings.Users() == len(m.userIDs) {
		if out.ratings, err = m.ratings.WithoutUser(int(u)); err != nil {
			return nil, err
		}
	}
	out.userIDs = append(append(make([]userid.ID, 0, len(m.userIDs)-1), m.userIDs[:u]...), m.userIDs[u+1:]...)
	out.users = make(map[userid.ID]int32, len(out.userIDs))
	for i, id := range out.userIDs {
		out.users[id] = int32(i)
	}
	return &out, nil
}

// ErrNoRatings marks a model trained without a rating model.
var ErrNoRatings = fmt.Errorf("%w: the model has no rating model; train again", index.ErrNotFound)

// Predict returns the rating a user with this history (raw weights and
// their times) would give each target, clipped to the range seen in
// training; the user's bias is folded in from the history. A target the
// model has not seen gets the global mean plus the user's bias (known
// false).
func (m *Model) Predict(items []pointid.ID, weights []float32, times []int64, targets []pointid.ID) (ratings []float32, known []bool, err error) {
	if m.ratings == nil {
		return nil, nil, ErrNoRatings
	}
	var idx []int32
	var ws []float32
	var ts []int64
	for k, id := range items {
		if i, ok := m.items[id]; ok {
			idx, ws, ts = append(idx, i), append(ws, weights[k]), append(ts, times[k])
		}
	}
	bias, err := m.ratings.FoldIn(idx, ws, ts)
	if err != nil {
		return nil, nil, err
	}
	ratings, known = make([]float32, len(targets)), make([]bool, len(targets))
	for t, id := range targets {
		if i, ok := m.items[id]; ok {
			ratings[t], known[t] = m.ratings.PredictWithBias(bias, int(i)), true
			continue
		}
		ratings[t] = m.ratings.PredictMean(bias)
	}
	return ratings, known, nil
}
