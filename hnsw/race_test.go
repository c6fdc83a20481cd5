//go:build race

package hnsw

// raceBuild: the race detector makes sync.Pool drop a share of what is
// put back, so a pooled scratch is sometimes allocated anew.
const raceBuild = true
