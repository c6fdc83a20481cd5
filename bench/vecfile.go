package bench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// The .fvecs and .ivecs formats of the SIFT/GIST sets: per row a little-endian
// int32 count, then that many float32 (fvecs) or int32 (ivecs) values.

// ReadFvecs reads a whole .fvecs file into one row-major slice.
func ReadFvecs(path string) (data []float32, dim int, err error) {
	err = readVecs(path, func(d, rows int) { dim = d; data = make([]float32, 0, d*rows) },
		func(u uint32) { data = append(data, math.Float32frombits(u)) })
	return data, dim, err
}

// ReadIvecs reads a whole .ivecs file; every row must have the same length.
func ReadIvecs(path string) (rows [][]int32, err error) {
	var flat []int32
	var dim int
	err = readVecs(path, func(d, n int) { dim = d; flat = make([]int32, 0, d*n) },
		func(u uint32) { flat = append(flat, int32(u)) })
	if err != nil {
		return nil, err
	}
	rows = make([][]int32, len(flat)/max(dim, 1))
	for i := range rows {
		rows[i] = flat[i*dim : (i+1)*dim : (i+1)*dim]
	}
	return rows, nil
}

// readVecs decodes a vector file: start gets the dimension and the row count
// (from the file size) before value gets each value in order.
func readVecs(path string, start func(dim, rows int), value func(uint32)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read vectors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read vectors: %w", err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var head [4]byte
	var buf []byte
	dim := 0
	for row := 0; ; row++ {
		if _, err := io.ReadFull(r, head[:]); err == io.EOF {
			if row == 0 {
				return fmt.Errorf("read %s: no vectors", path)
			}
			return nil
		} else if err != nil {
			return fmt.Errorf("read %s row %d: %w", path, row, err)
		}
		n := int(int32(binary.LittleEndian.Uint32(head[:])))
		if n <= 0 || (row > 0 && n != dim) {
			return fmt.Errorf("read %s row %d: dimension %d, want %d", path, row, n, dim)
		}
		if row == 0 {
			dim = n
			buf = make([]byte, 4*n)
			start(dim, int(st.Size())/(4*(dim+1)))
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("read %s row %d: %w", path, row, err)
		}
		for i := 0; i < n; i++ {
			value(binary.LittleEndian.Uint32(buf[4*i:]))
		}
	}
}

// WriteFvecs writes row-major data of the given dimension as .fvecs.
func WriteFvecs(path string, data []float32, dim int) error {
	return writeVecs(path, len(data)/dim, dim, func(i int) uint32 { return math.Float32bits(data[i]) })
}

// WriteIvecs writes rows of equal length as .ivecs.
func WriteIvecs(path string, rows [][]int32) error {
	if len(rows) == 0 {
		return writeVecs(path, 0, 1, nil)
	}
	dim := len(rows[0])
	return writeVecs(path, len(rows), dim, func(i int) uint32 { return uint32(rows[i/dim][i%dim]) })
}

func writeVecs(path string, n, dim int, at func(i int) uint32) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write vectors: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var b [4]byte
	for row := 0; row < n; row++ {
		binary.LittleEndian.PutUint32(b[:], uint32(dim))
		w.Write(b[:])
		for j := 0; j < dim; j++ {
			binary.LittleEndian.PutUint32(b[:], at(row*dim+j))
			w.Write(b[:])
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
