package query

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
)

func mustFilter(t *testing.T, s string) *filter.Filter {
	t.Helper()
	var f filter.Filter
	require.NoError(t, json.Unmarshal([]byte(s), &f))
	return &f
}
