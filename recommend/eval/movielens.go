package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Rating is one event on dense indices.
type Rating struct {
	User, Item int32
	Value      float32
	Time       int64
}

// MovieLens is a ratings file mapped to dense indices: users by ascending
// userId, items by ascending movieId, so that "ties to the smaller movieId"
// is "ties to the smaller index".
type MovieLens struct {
	UserIDs  []int64 // index → userId
	MovieIDs []int64 // index → movieId
	Ratings  []Rating
}

// LoadMovieLens reads dir/ratings.csv (userId,movieId,rating,timestamp).
func LoadMovieLens(dir string) (*MovieLens, error) {
	path := filepath.Join(dir, "ratings.csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("movielens: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return nil, fmt.Errorf("movielens: %s header: %w", path, err)
	}
	type raw struct {
		user, movie, time int64
		value             float32
	}
	var rows []raw
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("movielens: %s: %w", path, err)
		}
		if len(rec) != 4 {
			return nil, fmt.Errorf("movielens: %s line %d: %d fields, want 4", path, line, len(rec))
		}
		var x raw
		var v float64
		var errs [4]error
		x.user, errs[0] = strconv.ParseInt(rec[0], 10, 64)
		x.movie, errs[1] = strconv.ParseInt(rec[1], 10, 64)
		v, errs[2] = strconv.ParseFloat(rec[2], 32)
		x.time, errs[3] = strconv.ParseInt(rec[3], 10, 64)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("movielens: %s line %d: %w", path, line, err)
		}
		x.value = float32(v)
		rows = append(rows, x)
	}
	ml := &MovieLens{}
	for _, x := range rows {
		ml.UserIDs = append(ml.UserIDs, x.user)
		ml.MovieIDs = append(ml.MovieIDs, x.movie)
	}
	slices.Sort(ml.UserIDs)
	ml.UserIDs = slices.Compact(ml.UserIDs)
	slices.Sort(ml.MovieIDs)
	ml.MovieIDs = slices.Compact(ml.MovieIDs)
	ml.Ratings = make([]Rating, len(rows))
	for k, x := range rows {
		u, _ := slices.BinarySearch(ml.UserIDs, x.user)
		i, _ := slices.BinarySearch(ml.MovieIDs, x.movie)
		ml.Ratings[k] = Rating{User: int32(u), Item: int32(i), Value: x.value, Time: x.time}
	}
	return ml, nil
}

// Movie is one row of movies.csv.
type Movie struct {
	ID     int64
	Title  string
	Genres string // pipe-separated
}

// LoadMovies reads dir/movies.csv (movieId,title,genres).
func LoadMovies(dir string) ([]Movie, error) {
	path := filepath.Join(dir, "movies.csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("movielens: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("movielens: %s: %w", path, err)
	}
	var out []Movie
	for line, rec := range recs[1:] {
		if len(rec) != 3 {
			return nil, fmt.Errorf("movielens: %s line %d: %d fields, want 3", path, line+2, len(rec))
		}
		id, err := strconv.ParseInt(rec[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("movielens: %s line %d: %w", path, line+2, err)
		}
		out = append(out, Movie{ID: id, Title: rec[1], Genres: rec[2]})
	}
	return out, nil
}
