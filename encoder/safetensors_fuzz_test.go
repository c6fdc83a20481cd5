package encoder

import (
	"encoding/binary"
	"testing"
)

// FuzzSafetensors feeds arbitrary bytes to the safetensors decoder, which
// reads model files from disk: a corrupt or hostile file must fail with an
// error, never panic or allocate past the bytes it holds.
func FuzzSafetensors(f *testing.F) {
	file := func(header string, data []byte) []byte {
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
		return append(append(out, header...), data...)
	}
	f.Add(file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(file(`{"w":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]},"__metadata__":{"a":"b"}}`, make([]byte, 4)))
	f.Add(file(`{"w":{"dtype":"BF16","shape":[],"data_offsets":[0,2]},"i":{"dtype":"I64","shape":[1],"data_offsets":[2,10]}}`, make([]byte, 10)))
	f.Add(file(`{"w":{"dtype":"F32","shape":[4611686018427387905],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(file(`{"w":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}`, make([]byte, 16)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tensors, err := parseSafetensors("fuzz", raw)
		if err != nil {
			return
		}
		for name, tn := range tensors {
			n, ok := elements(tn.shape, len(raw))
			if !ok || n != len(tn.data) {
				t.Fatalf("tensor %s: shape %v but %d values", name, tn.shape, len(tn.data))
			}
		}
	})
}
