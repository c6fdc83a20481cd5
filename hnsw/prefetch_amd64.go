package hnsw

// prefetch asks the CPU to start loading the 256 bytes at p into cache,
// so the next distance computation does not wait on memory.
//
//go:noescape
func prefetch(p *uint32)
