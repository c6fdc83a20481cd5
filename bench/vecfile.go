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
	rows, dim, err := readVecs(path)
	if err != nil {
		return nil, 0, err
	}
	data = make([]float32, len(rows))
	for i, u := range rows {
		data[i] = math.Float32frombits(u)
	}
	return data, dim, nil
}

// ReadIvecs reads a whole .ivecs file; every row must have the same length.
func ReadIvecs(path string) (rows [][]int32, err error) {
	flat, dim, err := readVecs(path)
	if err != nil {
		return nil, err
	}
	rows = make([][]int32, len(flat)/max(dim, 1))
	for i := range rows {
		row := make([]int32, dim)
		for j := range row {
			row[j] = int32(flat[i*dim+j])
		}
		rows[i] = row
	}
	return rows, nil
}

func readVecs(path string) (flat []uint32, dim int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read vectors: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var head [4]byte
	for row := 0; ; row++ {
		if _, err := io.ReadFull(r, head[:]); err == io.EOF {
			return flat, dim, nil
		} else if err != nil {
			return nil, 0, fmt.Errorf("read %s row %d: %w", path, row, err)
		}
		n := int(int32(binary.LittleEndian.Uint32(head[:])))
		if n <= 0 || (row > 0 && n != dim) {
			return nil, 0, fmt.Errorf("read %s row %d: dimension %d, want %d", path, row, n, dim)
		}
		dim = n
		buf := make([]byte, 4*n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, 0, fmt.Errorf("read %s row %d: %w", path, row, err)
		}
		for i := 0; i < n; i++ {
			flat = append(flat, binary.LittleEndian.Uint32(buf[4*i:]))
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
