package storage

import "github.com/cockroachdb/pebble/v2"

// addPayloadOp adds to b an OpPayload: the node's new payload and terms,
// with no log entry (invariant 8). The caller guarantees the node is live
// and holds op.ID.
func (c *Collection) addPayloadOp(b *pebble.Batch, op *Op) {
	_ = b.Set(c.nodeKey(secPayload, op.Node), encodePayload(op.Payload), nil)
	_ = b.Set(c.nodeKey(secTerms, op.Node), encodeTerms(op.Terms), nil)
}
