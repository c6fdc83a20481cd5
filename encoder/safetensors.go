package encoder

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"

	"github.com/quiver-db/quiver/internal/simd"
)

// tensor is one safetensors entry converted to float32.
type tensor struct {
	shape []int
	data  []float32
}

// safetensorsEntry is one header entry of a .safetensors file.
type safetensorsEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// readSafetensors reads every floating-point tensor of a .safetensors file,
// converting F32, F16 and BF16 to float32. Integer tensors (BERT's
// position_ids buffer) are skipped.
func readSafetensors(path string) (map[string]tensor, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return parseSafetensors(path, raw)
}

// parseSafetensors decodes the bytes of a .safetensors file; path only
// names it in errors. Every size it allocates is checked against the
// bytes present first.
func parseSafetensors(path string, raw []byte) (map[string]tensor, error) {
	if len(raw) < 8 {
		return nil, fmt.Errorf("%s: file of %d bytes has no header: %w", path, len(raw), ErrInvalidModel)
	}
	n := binary.LittleEndian.Uint64(raw)
	if n > uint64(len(raw)-8) {
		return nil, fmt.Errorf("%s: header length %d exceeds the file: %w", path, n, ErrInvalidModel)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		return nil, fmt.Errorf("parse %s header: %w", path, err)
	}
	body := raw[8+n:]
	names := make([]string, 0, len(header))
	for name := range header {
		if name != "__metadata__" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make(map[string]tensor, len(names))
	for _, name := range names {
		var e safetensorsEntry
		if err := json.Unmarshal(header[name], &e); err != nil {
			return nil, fmt.Errorf("parse %s header entry %s: %w", path, name, err)
		}
		count, ok := elements(e.Shape, len(body))
		if !ok {
			return nil, fmt.Errorf("%s: tensor %s: shape %v does not fit the file's %d bytes: %w",
				path, name, e.Shape, len(body), ErrInvalidModel)
		}
		var size int
		switch e.DType {
		case "F32":
			size = 4
		case "F16", "BF16":
			size = 2
		default:
			continue
		}
		lo, hi := e.Offsets[0], e.Offsets[1]
		if lo < 0 || hi < lo || hi > int64(len(body)) || hi-lo != int64(count*size) {
			return nil, fmt.Errorf("%s: tensor %s: offsets [%d,%d) do not hold %d %s values: %w",
				path, name, lo, hi, count, e.DType, ErrInvalidModel)
		}
		b := body[lo:hi]
		data := make([]float32, count)
		switch e.DType {
		case "F32":
			for i := range data {
				data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case "F16":
			for i := range data {
				data[i] = simd.FromF16(binary.LittleEndian.Uint16(b[2*i:]))
			}
		case "BF16":
			for i := range data {
				data[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
			}
		}
		out[name] = tensor{shape: e.Shape, data: data}
	}
	return out, nil
}

// elements returns the number of values a tensor of this shape holds, or
// false when a dimension is negative or the product passes limit (the
// file's data bytes), which also keeps it from overflowing.
func elements(shape []int, limit int) (int, bool) {
	count := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && count > limit/d) {
			return 0, false
		}
		count *= d
	}
	return count, true
}
