package hnsw

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand"
)

// The export format, little-endian throughout:
//
//	magic "QVHNSW", version uint16 (1, or 2 for a quantized graph)
//	dim, M, EfConstruction, Ef uint32; metric uint8; seed int64
//	slots uint32; entry uint64 (packed node and level, 0 if empty)
//	version 2 only: quantile float64; trained uint8; lower, upper
//	          float32; trained-on node count int64
//	per slot: state uint8; unless free: level uint8, dim float32,
//	          then per level 0..level: count uint32, count × uint32 links
//	crc: none; the reader validates every field it reads
//
// Codes are not written: Import re-encodes them from the vectors with the
// stored bounds, which gives the same bytes. An unquantized graph is
// written as version 1, which readers before quantization also read.
const (
	exportMagic            = "QVHNSW"
	exportVersion          = 1
	exportVersionQuantized = 2
)

// Export writes the whole graph to w. Inserts, deletes and cleanups wait
// until it returns, so the copy is consistent; searches go on.
func (g *Graph) Export(w io.Writer) error {
	g.writers.Lock()
	defer g.writers.Unlock()
	g.mu.RLock()
	defer g.mu.RUnlock()
	bw := bufio.NewWriterSize(w, 1<<20)
	b := make([]byte, 0, 64+4*g.dim)
	b = append(b, exportMagic...)
	version := uint16(exportVersion)
	if g.quant != nil {
		version = exportVersionQuantized
	}
	b = binary.LittleEndian.AppendUint16(b, version)
	opts := g.Options()
	for _, v := range []int{g.dim, opts.M, opts.EfConstruction, opts.Ef} {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	b = append(b, byte(g.opts.Metric))
	b = binary.LittleEndian.AppendUint64(b, uint64(g.opts.Seed))
	slots := g.usedSlots()
	b = binary.LittleEndian.AppendUint32(b, slots)
	b = binary.LittleEndian.AppendUint64(b, g.entry.Load())
	if st := g.quant; st != nil {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(st.quantile))
		b = append(b, boolByte(st.trained))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(st.lo))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(st.hi))
		b = binary.LittleEndian.AppendUint64(b, uint64(st.trainedOn))
	}
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("export graph: %w", err)
	}
	for n := uint32(0); n < slots; n++ {
		b = append(b[:0], byte(g.state[n]))
		if g.state[n] != nodeFree {
			b = append(b, g.levels[n])
			for _, x := range g.vectorOf(n) {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
			}
			for l := 0; l <= int(g.levels[n]); l++ {
				links := g.linksOf(n, l)
				for _, x := range links[:1+links[0]] {
					b = binary.LittleEndian.AppendUint32(b, x)
				}
			}
		}
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("export graph: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export graph: %w", err)
	}
	return nil
}

// Import allocates as the bytes arrive, not as the header claims: the
// arenas start at importStartBytes and double only while they stay
// within importAmplify times the bytes read so far. A live slot costs
// about as much in the file as in memory, a free one a byte, so a
// genuine graph up to 98% free slots imports and a short hostile file
// claiming huge sizes costs at most importAmplify times its length.
const (
	importStartBytes = 4 << 20
	importAmplify    = 64
)

// Import reads a graph written by Export.
func Import(r io.Reader) (*Graph, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	rd := &reader{r: br}
	magic := rd.bytes(len(exportMagic))
	if rd.err == nil && string(magic) != exportMagic {
		return nil, fmt.Errorf("import graph: %w: magic %q", ErrFormat, magic)
	}
	version := rd.u16()
	if rd.err == nil && version != exportVersion && version != exportVersionQuantized {
		return nil, fmt.Errorf("import graph: %w: version %d, want %d or %d", ErrFormat, version, exportVersion, exportVersionQuantized)
	}
	dim := int(rd.u32())
	var opts Options
	opts.M, opts.EfConstruction, opts.Ef = int(rd.u32()), int(rd.u32()), int(rd.u32())
	opts.Metric = Metric(rd.u8())
	opts.Seed = int64(rd.u64())
	slots := rd.u32()
	entry := rd.u64()
	var st *quantState
	if version == exportVersionQuantized {
		st = readQuantState(rd)
	}
	if rd.err != nil {
		return nil, fmt.Errorf("import graph header: %w", rd.err)
	}
	if st != nil {
		if err := CheckQuantile(st.quantile); err != nil {
			return nil, fmt.Errorf("import graph: %w: %w", ErrFormat, err)
		}
	}
	g, err := New(dim, opts)
	if err != nil {
		return nil, fmt.Errorf("import graph: %w: %w", ErrFormat, err)
	}
	slotBytes := 4 * g.stride
	g.growLocked(min(int(slots), max(1, importStartBytes/slotBytes)))
	g.alloc.next = slots
	for n := uint32(0); n < slots; n++ {
		if int(n) == g.capacity {
			next := min(int(slots), 2*g.capacity)
			if int64(next)*int64(slotBytes) > importStartBytes+importAmplify*rd.n {
				return nil, fmt.Errorf("import graph: %w: %d slots of %d bytes claimed, %d bytes read by slot %d",
					ErrFormat, slots, slotBytes, rd.n, n)
			}
			g.growLocked(next)
		}
		if err := g.importSlot(rd, n, slots); err != nil {
			return nil, fmt.Errorf("import graph node %d: %w", n, err)
		}
	}
	for n := uint32(0); n < slots; n++ {
		if g.state[n] != nodeFree {
			links := g.linksOf(n, 0)
			for _, x := range links[1 : 1+links[0]] {
				g.indeg[x]++
			}
		}
	}
	if err := g.checkLinksLocked(); err != nil {
		return nil, fmt.Errorf("import graph: %w", err)
	}
	if entry != 0 {
		node, level := uint32(entry), int(entry>>32)&0xff
		if node >= slots || g.state[node] == nodeFree || int(g.levels[node]) != level {
			return nil, fmt.Errorf("import graph: %w: bad entry point %d", ErrFormat, node)
		}
	}
	g.entry.Store(entry)
	// Continue the level sequence differently from the exporting graph.
	g.alloc.rng = rand.New(rand.NewSource(opts.Seed ^ int64(slots)))
	if st != nil {
		g.importQuantization(st)
	}
	return g, nil
}

// readQuantState reads version 2's quantization fields.
func readQuantState(rd *reader) *quantState {
	st := &quantState{quantile: math.Float64frombits(rd.u64())}
	trained := rd.u8() != 0
	lo, hi := math.Float32frombits(rd.u32()), math.Float32frombits(rd.u32())
	st.trainedOn = int64(rd.u64())
	if trained {
		st.setBounds(lo, hi)
	}
	return st
}

// importQuantization installs an imported graph's quantization, encoding
// the codes from the vectors with the stored bounds. Untrained or damaged
// bounds (not finite, crossed) are trained afresh. The graph is not yet
// shared, so it holds what trainWritersLocked needs.
func (g *Graph) importQuantization(st *quantState) {
	finite := !math.IsInf(float64(st.lo), 0) && !math.IsNaN(float64(st.lo)) &&
		!math.IsInf(float64(st.hi), 0) && !math.IsNaN(float64(st.hi)) && st.lo <= st.hi
	if !st.trained || !finite || st.trainedOn < 0 || st.trainedOn > int64(g.alloc.next) {
		g.quant = &quantState{quantile: st.quantile}
		g.nextTrain.Store(quantTrainMin)
		if g.live.Load() > 0 {
			_ = g.trainWritersLocked(context.Background(), &quantState{quantile: st.quantile}, nil) // never cancelled
		}
		return
	}
	codes, _ := g.encodeAllLocked(context.Background(), st, nil) // never cancelled
	g.installCodesLocked(st, codes)
	g.nextTrain.Store(max(quantRetrainFactor*st.trainedOn, quantTrainMin))
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func (g *Graph) importSlot(rd *reader, n, slots uint32) error {
	state := uint32(rd.u8())
	switch state {
	case nodeFree:
		g.alloc.free.push(n)
		return rd.err
	case nodeLive:
		g.live.Add(1)
	case nodeDeleted:
		g.tomb.nodes = append(g.tomb.nodes, n)
		g.tombstones.Add(1)
	default:
		return fmt.Errorf("%w: state %d", ErrFormat, state)
	}
	g.state[n] = state
	level := int(rd.u8())
	if level > maxLevel {
		return fmt.Errorf("%w: level %d", ErrFormat, level)
	}
	g.levels[n] = uint8(level)
	vec := g.vectorOf(n)
	raw := rd.span(4 * len(vec))
	for i := range vec {
		vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	if level > 0 {
		g.upper[n] = make([]uint32, level*g.strideU)
	}
	for l := 0; l <= level; l++ {
		links := g.linksOf(n, l)
		count := rd.u32()
		if rd.err != nil {
			return rd.err
		}
		if int(count) > g.maxLinks(l) {
			return fmt.Errorf("%w: %d links on level %d", ErrFormat, count, l)
		}
		links[0] = count
		raw := rd.span(4 * int(count))
		if rd.err != nil {
			return rd.err
		}
		for i := 1; i <= int(count); i++ {
			links[i] = binary.LittleEndian.Uint32(raw[4*(i-1):])
			if links[i] >= slots || links[i] == n {
				return fmt.Errorf("%w: link to %d", ErrFormat, links[i])
			}
		}
	}
	return rd.err
}

// checkLinksLocked reports a link to a free slot.
func (g *Graph) checkLinksLocked() error {
	for n := uint32(0); n < g.alloc.next; n++ {
		if g.state[n] == nodeFree {
			continue
		}
		for l := 0; l <= int(g.levels[n]); l++ {
			links := g.linksOf(n, l)
			for _, x := range links[1 : 1+links[0]] {
				if g.state[x] == nodeFree {
					return fmt.Errorf("%w: node %d links to free slot %d", ErrFormat, n, x)
				}
			}
		}
	}
	return nil
}

// reader decodes little-endian fields, keeping the first error.
type reader struct {
	r    io.Reader
	buf  [8]byte
	long []byte // reused by span
	err  error
	n    int64 // bytes read
}

// span reads n bytes into a buffer that the next span call reuses.
func (r *reader) span(n int) []byte {
	if cap(r.long) < n {
		r.long = make([]byte, n)
	}
	b := r.long[:n]
	if r.err != nil {
		return b
	}
	m, err := io.ReadFull(r.r, b)
	r.n += int64(m)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		r.err = err
	}
	return b
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return r.buf[:n]
	}
	m, err := io.ReadFull(r.r, r.buf[:n])
	r.n += int64(m)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		r.err = err
	}
	return r.buf[:n]
}

func (r *reader) u8() uint8   { return r.bytes(1)[0] }
func (r *reader) u16() uint16 { return binary.LittleEndian.Uint16(r.bytes(2)) }
func (r *reader) u32() uint32 { return binary.LittleEndian.Uint32(r.bytes(4)) }
func (r *reader) u64() uint64 { return binary.LittleEndian.Uint64(r.bytes(8)) }
