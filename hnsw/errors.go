package hnsw

import "errors"

// Errors returned by Graph methods, wrapped with context.
var (
	ErrDimension = errors.New("hnsw: vector has the wrong dimension")
	ErrValue     = errors.New("hnsw: vector has a NaN or infinite component")
	ErrZero      = errors.New("hnsw: zero vector cannot be normalised")
	ErrNotFound  = errors.New("hnsw: node not found")
	ErrNodeInUse = errors.New("hnsw: node id already in use")
	ErrFormat    = errors.New("hnsw: bad export format")
)
