//go:build !race

package hnsw

// raceBuild: see race_test.go.
const raceBuild = false
