// Package bench is a library of runnable workloads: recall and latency of the
// ANN index on real data (GloVe-100 in .fvecs/.ivecs files), the encoder's
// throughput, and the HTTP server under load. Each workload is a Config struct
// and a Run function; cmd/quiver only binds flags to them.
package bench
