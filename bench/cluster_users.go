package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The fault run's users: a second collection, sharded as the points'
// one, whose few items no client deletes; each interaction op is a new
// user's one interaction with one of them, so its presence afterwards
// says whether it took effect, with no register to reason about.

const (
	usersCollection = "u"
	userItems       = 8
)

// interactionSettle bounds how long the check waits for a node to show
// an acknowledged interaction (catching up after the run); tests shorten
// it.
var interactionSettle = 30 * time.Second

// InteractionCheck is the verdict on the run's interactions: each
// acknowledged one must be on every node at the end, each refused one on
// none; an unknown outcome may be either.
type InteractionCheck struct {
	Sent, Acked, Unknown, Failed int
	// UnknownPresent counts the unknown outcomes that took effect.
	UnknownPresent int
	// Lost are acknowledged interactions some node lacks at the end,
	// Phantom refused ones some node has: each must be 0.
	Lost, Phantom []string
}

// OK reports whether no interaction was lost or appeared unasked.
func (c InteractionCheck) OK() bool { return len(c.Lost) == 0 && len(c.Phantom) == 0 }

func (c InteractionCheck) String() string {
	s := fmt.Sprintf("interactions: %d sent, %d acknowledged, %d unknown (%d took effect), %d refused; acknowledged missing on a node at the end: %d, refused present on a node: %d",
		c.Sent, c.Acked, c.Unknown, c.UnknownPresent, c.Failed, len(c.Lost), len(c.Phantom))
	for _, d := range append(c.Lost[:min(5, len(c.Lost)):min(5, len(c.Lost))], c.Phantom[:min(5, len(c.Phantom))]...) {
		s += "\n  " + d
	}
	return s
}

// createUsersCollection creates the users' collection as the points'
// collection is created (body), and its items.
func createUsersCollection(ctx context.Context, n *clusterNode, body map[string]any) error {
	code, raw, err := httpCall(ctx, "PUT", n.url()+"/collections/"+usersCollection, body, 10*time.Second)
	if err != nil || code != http.StatusOK {
		return errors.Join(err, fmt.Errorf("create the users' collection through node %s: %d %s", n.id, code, raw))
	}
	var items []any
	for i := range userItems {
		items = append(items, map[string]any{"id": i + 1, "vector": versionVector(int64(-1000 - i))})
	}
	code, raw, err = httpCall(ctx, "PUT", n.url()+"/collections/"+usersCollection+"/points", map[string]any{"points": items}, 10*time.Second)
	if err != nil || code != http.StatusOK {
		return errors.Join(err, fmt.Errorf("upsert the users' items through node %s: %d %s", n.id, code, raw))
	}
	return nil
}

// interaction is the body that records o.
func interaction(o ClusterOp) map[string]any {
	return map[string]any{"interactions": []any{map[string]any{"user": o.Value, "item": o.Point}}}
}

// checkInteractions asks every node for each interaction op's user,
// waiting up to interactionSettle for a node to show the acknowledged
// ones, and judges the outcomes.
func checkInteractions(ctx context.Context, nodes []*clusterNode, ops []ClusterOp) (InteractionCheck, error) {
	var c InteractionCheck
	var its []ClusterOp
	for _, o := range ops {
		if o.Kind == OpInteract {
			its = append(its, o)
		}
	}
	c.Sent = len(its)
	present := make([][]bool, len(nodes)) // node → op
	for i, n := range nodes {
		present[i] = make([]bool, len(its))
		deadline := time.Now().Add(interactionSettle)
		for {
			missing := false
			for k, o := range its {
				if present[i][k] {
					continue
				}
				has, err := hasInteraction(ctx, n, o)
				if err != nil {
					return c, err
				}
				present[i][k] = has
				missing = missing || !has && o.Outcome == Acked
			}
			if !missing || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for k, o := range its {
		on := make([]string, 0, len(nodes))
		for i, n := range nodes {
			if present[i][k] {
				on = append(on, n.id)
			}
		}
		what := fmt.Sprintf("user %d, item %d (%s at %v–%v via node %d): on nodes %v", o.Value, o.Point, o.Outcome, o.Start, o.End, o.Node+1, on)
		switch o.Outcome {
		case Acked:
			c.Acked++
			if len(on) < len(nodes) {
				c.Lost = append(c.Lost, what)
			}
		case Unknown:
			c.Unknown++
			if len(on) > 0 {
				c.UnknownPresent++
			}
		default:
			c.Failed++
			if len(on) > 0 {
				c.Phantom = append(c.Phantom, what)
			}
		}
	}
	return c, nil
}

// hasInteraction reports whether n holds o's interaction (its local
// replica: the check runs after every node is back and caught up).
func hasInteraction(ctx context.Context, n *clusterNode, o ClusterOp) (bool, error) {
	code, raw, err := httpCall(ctx, "GET", fmt.Sprintf("%s/collections/%s/users/%d", n.url(), usersCollection, o.Value), nil, 10*time.Second)
	if err != nil || code != http.StatusOK {
		return false, errors.Join(err, fmt.Errorf("user %d on node %s: %d %.200s", o.Value, n.id, code, raw))
	}
	var out struct {
		Result struct {
			Interactions []struct {
				Item uint64 `json:"item"`
			} `json:"interactions"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return false, fmt.Errorf("user %d on node %s: %w", o.Value, n.id, err)
	}
	for _, it := range out.Result.Interactions {
		if it.Item == o.Point {
			return true, nil
		}
	}
	return false, nil
}
