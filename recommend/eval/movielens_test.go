package eval

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// movieLensDir returns the data directory: QUIVER_MOVIELENS_DIR when set
// (then it must exist: a run that asked for the data fails loudly without
// it), else the shared copy beside the repository, skipping when absent.
func movieLensDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("QUIVER_MOVIELENS_DIR"); dir != "" {
		_, err := os.Stat(filepath.Join(dir, "ratings.csv"))
		require.NoError(t, err, "QUIVER_MOVIELENS_DIR=%s set but unusable", dir)
		return dir
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data", "ml-latest-small")
	if _, err := os.Stat(filepath.Join(dir, "ratings.csv")); err != nil {
		t.Skipf("no MovieLens at %s (set QUIVER_MOVIELENS_DIR)", dir)
	}
	return dir
}

func TestMovieLensSplitFacts(t *testing.T) {
	ml, err := LoadMovieLens(movieLensDir(t))
	require.NoError(t, err)
	require.Len(t, ml.UserIDs, 610)
	require.Len(t, ml.Ratings, 100836)
	s := ChronoSplit(len(ml.UserIDs), len(ml.MovieIDs), ml.Ratings)
	require.Len(t, s.Train, 80419)
	require.Len(t, s.Test, 20417)
	require.Equal(t, 8230, s.CatalogueSize())
	v := s.Validation()
	require.Len(t, v.Train, 64081)
	require.Len(t, v.Test, 16338)
	require.Equal(t, 7140, v.CatalogueSize())
}
