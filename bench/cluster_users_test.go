package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeUsersNode serves GET /collections/u/users/{user} with the items of
// the users it holds.
func fakeUsersNode(t *testing.T, id string, users map[int64]uint64) *clusterNode {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var user int64
		_, err := fmt.Sscanf(r.URL.Path, "/collections/u/users/%d", &user)
		require.NoError(t, err)
		items := "[]"
		if item, ok := users[user]; ok {
			items = fmt.Sprintf(`[{"item":%d,"weight":1,"timestamp":1}]`, item)
		}
		fmt.Fprintf(w, `{"result":{"user":%d,"interactions":%s}}`, user, items)
	}))
	t.Cleanup(srv.Close)
	return &clusterNode{id: id, addr: strings.TrimPrefix(srv.URL, "http://")}
}

func TestCheckInteractions(t *testing.T) {
	interactionSettle = 50 * time.Millisecond
	t.Cleanup(func() { interactionSettle = 30 * time.Second })
	a := fakeUsersNode(t, "1", map[int64]uint64{1: 3, 3: 2, 5: 4})
	b := fakeUsersNode(t, "2", map[int64]uint64{1: 3, 5: 4, 6: 7})
	ops := []ClusterOp{
		{Kind: OpInteract, Value: 1, Point: 3, Outcome: Acked},   // on both
		{Kind: OpInteract, Value: 2, Point: 1, Outcome: Acked},   // on none: lost
		{Kind: OpInteract, Value: 3, Point: 2, Outcome: Failed},  // on node 1: phantom
		{Kind: OpInteract, Value: 4, Point: 1, Outcome: Unknown}, // on none
		{Kind: OpInteract, Value: 5, Point: 4, Outcome: Unknown}, // took effect
		{Kind: OpInteract, Value: 6, Point: 8, Outcome: Acked},   // node 2 holds user 6 with item 7: lost
		{Kind: OpUpsert, Value: 9, Point: 1, Outcome: Acked},     // not an interaction
	}
	c, err := checkInteractions(context.Background(), []*clusterNode{a, b}, ops)
	require.NoError(t, err)
	require.Equal(t, 6, c.Sent)
	require.Equal(t, 3, c.Acked)
	require.Equal(t, 2, c.Unknown)
	require.Equal(t, 1, c.UnknownPresent)
	require.Equal(t, 1, c.Failed)
	require.Len(t, c.Lost, 2, "user 2 nowhere, user 6's item 8 nowhere (node 2 has item 7)")
	require.Contains(t, c.Lost[0], "user 2, item 1")
	require.Len(t, c.Phantom, 1)
	require.Contains(t, c.Phantom[0], "on nodes [1]")
	require.False(t, c.OK())
	require.Contains(t, c.String(), "acknowledged missing on a node at the end: 2")
}
