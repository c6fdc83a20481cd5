package hnsw

// InsertHook is told of each node a graph inserts, with the vector as the
// caller gave it. It runs on the inserting goroutine after the node is
// linked and before Insert returns, holding no lock of the graph, so it
// may search the graph; it must not keep vec.
type InsertHook func(node uint32, vec []float32)

// SetInsertHook sets the hook called after every successful insert (nil
// removes it). An index kept beside the graph, such as a partitioned one
// that serves the same vectors, learns of new nodes this way, on every
// insert path at once. Inserts already running may call the old hook.
func (g *Graph) SetInsertHook(h InsertHook) {
	if h == nil {
		g.onInsert.Store(nil)
		return
	}
	g.onInsert.Store(&h)
}

func (g *Graph) notifyInsert(node uint32, vec []float32) {
	if h := g.onInsert.Load(); h != nil {
		(*h)(node, vec)
	}
}
