package trainer

import (
	"encoding/binary"
	"errors"
	"fmt"

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
	ials    *recommend.IALS
}

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

// FoldIn returns the vector of a user with these interactions, item
// factors held fixed (the training solve; Hu et al. §4). Items the model
// has not seen are left out.
func (m *Model) FoldIn(items []pointid.ID, weights []float32) ([]float32, error) {
	idx, ws := m.dense(items, weights)
	return m.ials.FoldIn(nil, idx, ws)
}

// Contribution is one past item's share of a recommendation's score.
type Contribution struct {
	ID           pointid.ID
	Contribution float32
}

// Explain splits the score of item for a user with these interactions
// into the contributions of the past items (Hu et al. §5), the n largest.
func (m *Model) Explain(items []pointid.ID, weights []float32, item pointid.ID, n int) ([]Contribution, float32, error) {
	target, ok := m.items[item]
	if !ok {
		return nil, 0, fmt.Errorf("explain: point %s is not in the model", item)
	}
	idx, ws := m.dense(items, weights)
	ex, err := m.ials.Explain(idx, ws, target, n)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Contribution, len(ex.Top))
	for i, c := range ex.Top {
		out[i] = Contribution{ID: m.itemIDs[c.Item], Contribution: c.Value}
	}
	return out, ex.Score, nil
}

// dense maps a user's items to the model's indices, dropping unknown ones
// and repeats (the first weight of an item counts).
func (m *Model) dense(items []pointid.ID, weights []float32) ([]int32, []float32) {
	idx := make([]int32, 0, len(items))
	ws := make([]float32, 0, len(items))
	seen := make(map[int32]bool, len(items))
	for k, id := range items {
		if i, ok := m.items[id]; ok && !seen[i] {
			seen[i] = true
			idx = append(idx, i)
			ws = append(ws, weights[k])
		}
	}
	return idx, ws
}

// The saved form: "QTRM" version(4) users(4) user keys, items(4) item
// keys, then the iALS model's own saved form.
const (
	modelMagic   = "QTRM"
	modelVersion = 1
)

// MarshalBinary returns the model's saved form.
func (m *Model) MarshalBinary() ([]byte, error) {
	out := append([]byte(modelMagic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[4:], modelVersion)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(m.userIDs)))
	for _, u := range m.userIDs {
		out = u.AppendKey(out)
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(m.itemIDs)))
	for _, i := range m.itemIDs {
		out = i.AppendKey(out)
	}
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
	if v := binary.LittleEndian.Uint32(b[4:]); v != modelVersion {
		return nil, fmt.Errorf("model: version %d, want %d", v, modelVersion)
	}
	rest := b[8:]
	m := &Model{users: map[userid.ID]int32{}, items: map[pointid.ID]int32{}}
	n := int(binary.LittleEndian.Uint32(rest))
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
	ials, err := recommend.LoadIALS(rest)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if ials.Users() != len(m.userIDs) || ials.Items() != len(m.itemIDs) {
		return nil, fmt.Errorf("model: %d users and %d items, factors for %d and %d", len(m.userIDs), len(m.itemIDs), ials.Users(), ials.Items())
	}
	m.ials = ials
	return m, nil
}
