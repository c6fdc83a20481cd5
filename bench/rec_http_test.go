package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/apitest"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/recommend/eval"
)

func TestLatencyStats(t *testing.T) {
	require.Equal(t, LatencyStats{}, latencyStats(nil))
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(100-i) * time.Microsecond // 100µs down to 1µs
	}
	s := latencyStats(d)
	require.Equal(t, 100, s.N)
	require.InDelta(t, 50.5, s.MeanMicros, 1e-9)
	require.Equal(t, 50.0, s.P50Micros)
	require.Equal(t, 90.0, s.P90Micros)
	require.Equal(t, 99.0, s.P99Micros)
	require.Equal(t, 100.0, s.MaxMicros)
	one := latencyStats([]time.Duration{3 * time.Millisecond})
	require.Equal(t, LatencyStats{N: 1, MeanMicros: 3000, P50Micros: 3000, P90Micros: 3000, P99Micros: 3000, MaxMicros: 3000}, one)
}

func TestByHistory(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	got := byHistory([]time.Duration{ms(1), ms(2), ms(3), ms(4), ms(5)}, []int{50, 51, 10, 5000, 20})
	require.Len(t, got, 3, "no history in 201..1000: that group is left out")
	require.Equal(t, [2]int{0, 50}, [2]int{got[0].Min, got[0].Max})
	require.Equal(t, 3, got[0].Latency.N)
	require.Equal(t, 5000.0, got[0].Latency.MaxMicros)
	require.Equal(t, [2]int{51, 200}, [2]int{got[1].Min, got[1].Max})
	require.Equal(t, 2000.0, got[1].Latency.P50Micros)
	require.Equal(t, 1001, got[2].Min)
	require.Equal(t, 4000.0, got[2].Latency.P50Micros)
}

func TestMovieText(t *testing.T) {
	require.Equal(t, "Toy Story (1995). Adventure, Animation",
		movieText(eval.Movie{ID: 1, Title: "Toy Story (1995)", Genres: "Adventure|Animation"}))
	require.Equal(t, "Hellboy (2004)", movieText(eval.Movie{ID: 2, Title: "Hellboy (2004)", Genres: "(no genres listed)"}))
}

// writeMovieLens writes a small MovieLens directory: users of group g
// rate only movies of group g, so one rating tells a new user's group.
func writeMovieLens(t *testing.T, users, movies int) string {
	t.Helper()
	rng := testseed.New(t)
	dir := t.TempDir()
	var m, r strings.Builder
	m.WriteString("movieId,title,genres\n")
	genres := []string{"Comedy|Romance", "Horror|Thriller"}
	for i := 1; i <= movies; i++ {
		fmt.Fprintf(&m, "%d,\"Movie %d, the %s one (%d)\",%s\n", i, i, strings.ToLower(genres[i%2][:4]), 1990+i%20, genres[i%2])
	}
	r.WriteString("userId,movieId,rating,timestamp\n")
	for u := 1; u <= users; u++ {
		for k, j := range rng.Perm(movies / 2)[:8] {
			fmt.Fprintf(&r, "%d,%d,%.1f,%d\n", u, 2*j+2-u%2, float64(1+rng.IntN(9))/2, 964982703+k*60)
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "movies.csv"), []byte(m.String()), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ratings.csv"), []byte(r.String()), 0o644))
	return dir
}

// TestRunRecHTTP runs the benchmark end to end on a small data set and a
// fake text model: a real server on loopback, every pass.
func TestRunRecHTTP(t *testing.T) {
	dir := writeMovieLens(t, 40, 60)
	for _, all := range []bool{false, true} {
		cfg := RecHTTPConfig{Dir: dir, Model: apitest.Model{D: 16}, ModelName: apitest.ModelName, AllRatings: all,
			Requests: 50, NewUsers: 10, Limit: 5, Batch: 25, Factors: 8, Hybrid: !all}
		res, err := RunRecHTTP(context.Background(), cfg)
		require.NoError(t, err)
		require.Equal(t, 60, res.Movies)
		require.Equal(t, 40, res.Users)
		if all {
			require.Equal(t, "all", res.Ratings)
			require.Equal(t, 40*8, res.Interactions)
		} else {
			require.Equal(t, "train", res.Ratings)
			require.Equal(t, 40*6, res.Interactions, "8 ratings each, the last 2 held out")
		}
		require.Positive(t, res.TrainSecs)
		for _, s := range []LatencyStats{res.Recommend, res.RecommendExplained} {
			require.Equal(t, 50, s.N)
			require.Positive(t, s.P50Micros)
			require.LessOrEqual(t, s.P50Micros, s.P90Micros)
			require.LessOrEqual(t, s.P90Micros, s.P99Micros)
		}
		require.Positive(t, res.RecommendServer.P50Micros)
		require.Len(t, res.ByHistory, 1, "every user has under 50 interactions")
		require.Equal(t, 50, res.ByHistory[0].Latency.N)
		for _, s := range []LatencyStats{res.NewUserCold, res.NewUserInteract, res.NewUserRecommend, res.NewUserUpdated, res.ProfileNewUser, res.FoldInSolve} {
			require.Equal(t, 10, s.N)
		}
		require.Equal(t, 10, res.FromModel, "one interaction with a trained item folds in")
		require.Equal(t, 10, res.Changed, "one interaction moves the list off the popular one")
		require.Equal(t, 40, res.ProfileUsers.N)
		require.InDelta(t, float64(res.Interactions)/40, res.HistoryMean, 1e-9)
		require.Len(t, res.LoadAvg, 3)
		if all {
			require.Empty(t, res.Quality, "no test part to score")
			continue
		}
		require.Len(t, res.Quality, 2)
		require.Equal(t, "hybrid: content 0.25, popularity 0.2, centroid rating, centroid half-life 20", res.HybridSettings, "half stars read as ratings")
		for k, using := range []string{"cf", "hybrid"} {
			q := res.Quality[k]
			require.Equal(t, using, q.Using)
			require.Equal(t, 40, q.Latency.N)
			require.Positive(t, q.NDCGAt10, "%s: the planted groups are found", using)
			require.LessOrEqual(t, q.NDCGAt10, 1.0)
		}
	}
}

// TestEncoderContent: one row per movie, in movieIDs' order, each the
// model's vector of the movie's text.
func TestEncoderContent(t *testing.T) {
	dir := writeMovieLens(t, 2, 20)
	m := apitest.Model{D: 16}
	c, err := EncoderContent(context.Background(), m, dir, []int64{2, 5}, nil)
	require.NoError(t, err)
	require.Equal(t, 16, c.Dim)
	movies, err := eval.LoadMovies(dir)
	require.NoError(t, err)
	want, err := m.Encode(context.Background(), []string{movieText(movies[1]), movieText(movies[4])})
	require.NoError(t, err)
	require.Equal(t, want[0], c.Row(0))
	require.Equal(t, want[1], c.Row(1))
}
