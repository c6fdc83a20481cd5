package bench

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVecFilesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data := []float32{1, -2.5, 3, 4, 5e-7, -6}
	require.NoError(t, WriteFvecs(filepath.Join(dir, "a.fvecs"), data, 3))
	got, dim, err := ReadFvecs(filepath.Join(dir, "a.fvecs"))
	require.NoError(t, err)
	require.Equal(t, 3, dim)
	require.Equal(t, data, got)

	rows := [][]int32{{1, 2}, {3, -4}, {5, 6}}
	require.NoError(t, WriteIvecs(filepath.Join(dir, "a.ivecs"), rows))
	gotRows, err := ReadIvecs(filepath.Join(dir, "a.ivecs"))
	require.NoError(t, err)
	require.Equal(t, rows, gotRows)

	_, _, err = ReadFvecs(filepath.Join(dir, "missing.fvecs"))
	require.Error(t, err)
}
