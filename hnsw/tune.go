package hnsw

import "fmt"

// SetEfConstruction changes the candidate list size of later inserts (and
// of the relinking a Cleanup does). Nodes already in the graph keep the
// links they were built with; Options and Export report the new value.
func (g *Graph) SetEfConstruction(ef int) error {
	if ef < 1 || ef > MaxEf {
		return fmt.Errorf("hnsw: EfConstruction = %d, want 1..%d", ef, MaxEf)
	}
	g.efConstruction.Store(int32(ef))
	return nil
}

// SetEf changes the default candidate list size of later searches (those
// whose SearchOptions.Ef is zero).
func (g *Graph) SetEf(ef int) error {
	if ef < 1 || ef > MaxEf {
		return fmt.Errorf("hnsw: Ef = %d, want 1..%d", ef, MaxEf)
	}
	g.ef.Store(int32(ef))
	return nil
}
