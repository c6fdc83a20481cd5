// Package bench is a library of runnable workloads: recall and latency of the
// ANN index on real data (GloVe-100 in .fvecs/.ivecs files), the encoder's
// throughput, the HTTP server under load, and text retrieval (BM25, dense and
// fused, on a set made from MovieLens tags) with sparse search speed. Each
// workload is a Config struct and a Run function; cmd/quiver only binds flags
// to them.
package bench
