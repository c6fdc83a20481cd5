package recommend

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// The saved form of an IALS model, little-endian:
//
//	"QIAL" version(4) factors(4) users(4) items(4) optionsLen(4) options(JSON)
//	user factors (users×factors float32) item factors (items×factors float32)
//
// The Gramian is recomputed on load. A loaded model folds in, explains and
// scores like the trained one; it does not keep the training matrix.
const (
	ialsMagic   = "QIAL"
	ialsVersion = 1
)

// savedOptions is what the file keeps of IALSOptions (no callbacks).
type savedOptions struct {
	Factors, Iterations, CGSteps int
	Alpha, Alpha0, Lambda, Nu    float32
	Solver                       Solver
	Seed                         uint64
}

// MarshalBinary returns the model's saved form.
func (m *IALS) MarshalBinary() ([]byte, error) {
	o := m.opts
	opts, err := json.Marshal(savedOptions{o.Factors, o.Iterations, o.CGSteps, o.Alpha, o.Alpha0, o.Lambda, o.Nu, o.Solver, o.Seed})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 24+len(opts)+4*(len(m.users)+len(m.items)))
	out = append(out, ialsMagic...)
	for _, v := range []int{ialsVersion, o.Factors, len(m.users) / o.Factors, len(m.items) / o.Factors, len(opts)} {
		out = binary.LittleEndian.AppendUint32(out, uint32(v))
	}
	out = append(out, opts...)
	for _, x := range m.users {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	for _, x := range m.items {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	return out, nil
}

// LoadIALS reads a model saved by MarshalBinary. Sizes are checked against
// the bytes present before anything is allocated from them.
func LoadIALS(b []byte) (*IALS, error) {
	if len(b) < 24 || string(b[:4]) != ialsMagic {
		return nil, errors.New("ials model: not a saved model")
	}
	u32 := func(i int) int { return int(binary.LittleEndian.Uint32(b[4+4*i:])) }
	version, f, users, items, optsLen := u32(0), u32(1), u32(2), u32(3), u32(4)
	if version != ialsVersion {
		return nil, fmt.Errorf("ials model: version %d, want %d", version, ialsVersion)
	}
	rest := b[24:]
	if f < 1 || f > 4096 || optsLen > len(rest) || uint64(users+items)*uint64(f)*4 != uint64(len(rest)-optsLen) {
		return nil, fmt.Errorf("ials model: %d users, %d items, %d factors do not fit %d bytes", users, items, f, len(b))
	}
	var so savedOptions
	if err := json.Unmarshal(rest[:optsLen], &so); err != nil || so.Factors != f {
		return nil, fmt.Errorf("ials model: options: %v", err)
	}
	opts := IALSOptions{Factors: so.Factors, Iterations: so.Iterations, CGSteps: so.CGSteps, Alpha: so.Alpha, Alpha0: so.Alpha0,
		Lambda: so.Lambda, Nu: so.Nu, Solver: so.Solver, Seed: so.Seed}
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("ials model: %w", err)
	}
	train, err := Build(users, items, nil, LastWins)
	if err != nil {
		return nil, fmt.Errorf("ials model: %w", err)
	}
	floats := func(p []byte) []float32 {
		out := make([]float32, len(p)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
		}
		return out
	}
	vecs := rest[optsLen:]
	m := &IALS{opts: opts, train: train, users: floats(vecs[:users*f*4]), items: floats(vecs[users*f*4:]), gram: make([]float32, f*f)}
	gramian(m.gram, m.items, f)
	return m, nil
}

// Users is the number of users the model was trained on.
func (m *IALS) Users() int { return len(m.users) / m.opts.Factors }

// Items is the number of items.
func (m *IALS) Items() int { return len(m.items) / m.opts.Factors }
