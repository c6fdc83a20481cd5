package storage

import "testing"

// DowngradeToFormat1 rewrites the database in dir as format 1 wrote it
// (see downgradeTo1), for tests outside the package.
func DowngradeToFormat1(t testing.TB, dir string) int {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return downgradeTo1(t, s)
}
