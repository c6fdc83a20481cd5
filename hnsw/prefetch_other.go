//go:build !amd64

package hnsw

func prefetch(*uint32) {}
