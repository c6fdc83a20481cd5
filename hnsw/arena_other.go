//go:build !linux

package hnsw

func allocArena(words int) []uint32 { return make([]uint32, words) }

func freeArena([]uint32) {}
