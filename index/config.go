package index

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/storage"
)

// Errors returned by this package, wrapped with context. httpapi maps them
// to status codes with errors.Is: ErrNotFound → 404, ErrExists → 409,
// ErrBadRequest → 400, ErrTooLarge → 413, ErrClosed → 503, ErrNoSpace →
// 507, ErrStorageFailed → 503.
var (
	ErrNotFound   = errors.New("quiver: not found")
	ErrExists     = errors.New("quiver: already exists")
	ErrBadRequest = errors.New("quiver: bad request")
	ErrTooLarge   = errors.New("quiver: too large")
	ErrClosed     = errors.New("quiver: closed")
	// ErrNoSpace marks a write refused because the data disk is (nearly)
	// full: nothing of it was applied, it held no lock on return, and the
	// same write succeeds once space returns.
	ErrNoSpace = storage.ErrNoSpace
	// ErrStorageFailed marks a write refused after a fatal storage error;
	// reads go on, writes need a restart.
	ErrStorageFailed = storage.ErrFailed
)

// Metric is a collection's distance, spelled as Qdrant spells it.
type Metric string

// Metrics.
const (
	Cosine Metric = "Cosine" // cosine similarity, higher is better
	Dot    Metric = "Dot"    // dot product, higher is better
	Euclid Metric = "Euclid" // Euclidean distance, lower is better
)

// Graph returns the graph's metric for m, whose Score and Similarity
// define the scores users see.
func (m Metric) Graph() (hnsw.Metric, error) {
	switch m {
	case Cosine:
		return hnsw.Cosine, nil
	case Dot:
		return hnsw.Dot, nil
	case Euclid:
		return hnsw.L2, nil
	}
	return 0, fmt.Errorf("unknown distance %q (want Cosine, Dot or Euclid)", string(m))
}

// FieldType is the schema of a payload index, spelled as Qdrant spells it.
type FieldType string

// Payload index types. Integer and Float share one numeric index (values
// as float64, so integers beyond 2^53 lose precision in range queries).
const (
	Keyword FieldType = "keyword"
	Integer FieldType = "integer"
	Float   FieldType = "float"
)

func (t FieldType) termKind() (storage.TermKind, error) {
	switch t {
	case Keyword:
		return storage.TermKeyword, nil
	case Integer, Float:
		return storage.TermNumber, nil
	}
	return 0, fmt.Errorf("unknown payload index type %q (want keyword, integer or float)", string(t))
}

// HNSWConfig is a collection's graph parameters; zero fields take the
// hnsw package's defaults (M 16, EfConstruction 200, Ef 64).
type HNSWConfig struct {
	M              int `json:"m,omitempty"`
	EfConstruction int `json:"ef_construct,omitempty"`
	Ef             int `json:"ef,omitempty"`
}

// Config describes a collection. It is stored as JSON in the catalog.
//
// A collection has either one unnamed vector (VectorSize, Distance, Model)
// or named vectors (Vectors) and sparse vectors (SparseVectors), never
// both; a collection of sparse vectors alone counts as named.
type Config struct {
	// VectorSize is the dimension of the unnamed vector; required without
	// Vectors, zero with them.
	VectorSize int `json:"size"`
	// Distance is the unnamed vector's metric; required without Vectors,
	// empty with them.
	Distance Metric `json:"distance"`
	// HNSW is the graph parameters of the unnamed vector, and the defaults
	// of each named vector's.
	HNSW HNSWConfig `json:"hnsw_config"`
	// Model optionally names the text model that fills the unnamed vector.
	Model string `json:"model,omitempty"`
	// Vectors are the named vectors, by name. DB.Create assigns each a
	// storage space; a name keeps its space for the collection's life.
	Vectors map[string]VectorConfig `json:"vectors,omitempty"`
	// SparseVectors are the sparse vectors, by name; a collection with
	// them has named dense vectors or none. DB.Create assigns each a
	// storage sparse space.
	SparseVectors map[string]SparseVectorConfig `json:"sparse_vectors,omitempty"`
	// PayloadIndexes maps payload keys to index types.
	PayloadIndexes map[string]FieldType `json:"payload_indexes,omitempty"`
	// Quantization is the unnamed vector's quantization, and the default
	// of each named vector's; nil means none.
	Quantization *QuantizationConfig `json:"quantization_config,omitempty"`
	// IVF is the unnamed vector's partitioned index, and the default of
	// each named vector's; nil means none.
	IVF *IVFConfig `json:"ivf_config,omitempty"`
}

// VectorConfig describes one named vector.
type VectorConfig struct {
	// Size is the dimension; required.
	Size int `json:"size"`
	// Distance is the metric; required.
	Distance Metric `json:"distance"`
	// HNSW fields that are zero take the collection's Config.HNSW.
	HNSW HNSWConfig `json:"hnsw_config"`
	// Model optionally names the text model that fills this vector.
	Model string `json:"model,omitempty"`
	// Space is the storage vector space (1..255) that holds this vector;
	// zero in a Config passed to DB.Create, which assigns it.
	Space uint8 `json:"space"`
	// Quantization is this vector's own; nil takes the collection's.
	Quantization *QuantizationConfig `json:"quantization_config,omitempty"`
	// IVF is this vector's own partitioned index; nil takes the
	// collection's.
	IVF *IVFConfig `json:"ivf_config,omitempty"`
}

// Named reports whether the collection has named vectors, dense or sparse.
func (c *Config) Named() bool { return len(c.Vectors) > 0 || len(c.SparseVectors) > 0 }

// VectorNames returns the names of the named vectors, sorted; nil for a
// collection with the unnamed vector.
func (c *Config) VectorNames() []string {
	if len(c.Vectors) == 0 {
		return nil
	}
	names := make([]string, 0, len(c.Vectors))
	for n := range c.Vectors {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Vector returns the config of the vector called name ("" is the unnamed
// vector, whose Space is 0), or an ErrBadRequest error that lists the
// vectors the collection has.
func (c *Config) Vector(name string) (VectorConfig, error) {
	if !c.Named() {
		if name == "" {
			return VectorConfig{Size: c.VectorSize, Distance: c.Distance, HNSW: c.HNSW, Model: c.Model, Quantization: c.Quantization, IVF: c.IVF}, nil
		}
		return VectorConfig{}, fmt.Errorf("%w: has no vector named %q (it has only the unnamed vector)", ErrBadRequest, name)
	}
	v, ok := c.Vectors[name]
	if !ok {
		if name == "" {
			return VectorConfig{}, fmt.Errorf("%w: has no unnamed vector (it has: %s)", ErrBadRequest, strings.Join(c.VectorNames(), ", "))
		}
		return VectorConfig{}, fmt.Errorf("%w: has no vector named %q (it has: %s)", ErrBadRequest, name, strings.Join(c.VectorNames(), ", "))
	}
	v.HNSW = v.HNSW.or(c.HNSW)
	v.Quantization = ownOr(v.Quantization, c.Quantization)
	v.IVF = ownOr(v.IVF, c.IVF)
	return v, nil
}

// or returns h with its zero fields taken from d.
func (h HNSWConfig) or(d HNSWConfig) HNSWConfig {
	if h.M == 0 {
		h.M = d.M
	}
	if h.EfConstruction == 0 {
		h.EfConstruction = d.EfConstruction
	}
	if h.Ef == 0 {
		h.Ef = d.Ef
	}
	return h
}

// assignSpaces gives each named vector without a space the lowest free
// one, in name order.
func (c *Config) assignSpaces() {
	assignFree(c.Vectors, c.VectorNames(), func(v *VectorConfig) *uint8 { return &v.Space })
}

// assignFree gives each entry of m whose space (as space finds it) is 0
// the lowest space in 1..255 no other entry uses, in the order of names.
// With more names than spaces the rest stay 0, for Validate to report.
func assignFree[V any](m map[string]V, names []string, space func(*V) *uint8) {
	used := map[uint8]bool{}
	for _, v := range m {
		used[*space(&v)] = true
	}
	next := uint8(1)
	for _, name := range names {
		v := m[name]
		if *space(&v) != 0 {
			continue
		}
		for used[next] && next < 255 {
			next++
		}
		if used[next] {
			return
		}
		*space(&v), used[next] = next, true
		m[name] = v
	}
}

// MaxNamedVectors bounds the number of named vectors of a collection.
const MaxNamedVectors = 255

// MaxVectorSize bounds Config.VectorSize.
const MaxVectorSize = 65536

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,255}$`)

// validName reports whether name may name a collection: the pattern's
// alphabet, and not "." or "..", which no URL path can reach.
// ValidName reports whether name may name a collection or an alias: 1-255
// letters, digits, '_', '-' or '.', other than "." or ".." alone.
func ValidName(name string) bool { return validName(name) }

func validName(name string) bool {
	return namePattern.MatchString(name) && name != "." && name != ".."
}

// Validate reports every problem with the config.
func (c *Config) Validate() error {
	var errs []error
	if c.Named() {
		errs = append(c.validateNamed(), c.validateSparse()...)
	} else {
		v, _ := c.Vector("")
		errs = v.validate()
	}
	errs = append(errs, c.Quantization.validate("quantization_config")...)
	if c.Quantization != nil && c.Quantization.Disabled {
		errs = append(errs, errors.New(`quantization_config: "Disabled" applies to a named vector or an update, not a new collection`))
	}
	for _, name := range c.VectorNames() {
		errs = append(errs, c.Vectors[name].Quantization.validate(fmt.Sprintf("vectors.%q.quantization_config", name))...)
	}
	if c.IVF != nil && c.IVF.Disabled {
		errs = append(errs, errors.New(`ivf_config: "disabled" applies to a named vector, not a new collection`))
	}
	if !c.Named() {
		errs = append(errs, c.IVF.validate("ivf_config", c.Distance)...)
	}
	for _, name := range c.VectorNames() {
		v, _ := c.Vector(name)
		errs = append(errs, v.IVF.validate(fmt.Sprintf("vectors.%q.ivf_config", name), v.Distance)...)
	}
	for field, t := range c.PayloadIndexes {
		if _, err := t.termKind(); err != nil {
			errs = append(errs, fmt.Errorf("payload index %q: %w", field, err))
		}
		if field == "" || len(field) > storage.MaxTermLen {
			errs = append(errs, fmt.Errorf("payload index key of %d bytes, want 1..%d", len(field), storage.MaxTermLen))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) validateNamed() []error {
	var errs []error
	if c.VectorSize != 0 || c.Distance != "" || c.Model != "" {
		errs = append(errs, errors.New("named vectors and an unnamed vector (size, distance, model) together"))
	}
	if len(c.Vectors) > MaxNamedVectors {
		errs = append(errs, fmt.Errorf("%d named vectors, want at most %d", len(c.Vectors), MaxNamedVectors))
	}
	spaces := map[uint8]string{}
	for _, name := range c.VectorNames() {
		v, _ := c.Vector(name)
		if name != "" && !vectorNamePattern.MatchString(name) {
			errs = append(errs, fmt.Errorf("vector name %q: want up to 255 letters, digits, '_', '-' or '.'", name))
		}
		for _, err := range v.validate() {
			errs = append(errs, fmt.Errorf("vector %q: %w", name, err))
		}
		if other, ok := spaces[v.Space]; ok || v.Space == 0 {
			errs = append(errs, fmt.Errorf("vector %q: space %d (taken by %q or zero)", name, v.Space, other))
		}
		spaces[v.Space] = name
	}
	return errs
}

// vectorNamePattern is what a vector name may be: the collection names'
// alphabet. A dense vector may also be named "", as Qdrant names its
// default vector: LangChain's hybrid collections name theirs so, beside a
// sparse one.
var vectorNamePattern = namePattern

func (v *VectorConfig) validate() []error {
	var errs []error
	if v.Size < 1 || v.Size > MaxVectorSize {
		errs = append(errs, fmt.Errorf("vector size %d, want 1..%d", v.Size, MaxVectorSize))
	}
	if _, err := v.Distance.Graph(); err != nil {
		errs = append(errs, err)
	}
	h := v.HNSW
	if h.EfConstruction < 0 || h.EfConstruction > hnsw.MaxEf {
		errs = append(errs, fmt.Errorf("hnsw_config.ef_construct %d: want 1..%d", h.EfConstruction, hnsw.MaxEf))
	}
	if h.Ef < 0 || h.Ef > hnsw.MaxEf {
		errs = append(errs, fmt.Errorf("hnsw_config.ef %d: want 1..%d", h.Ef, hnsw.MaxEf))
	}
	if len(errs) > 0 {
		return errs
	}
	opts, err := v.hnswOptions()
	if err == nil {
		opts.EnsureDefaults()
		err = opts.Validate()
	}
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

func (v *VectorConfig) hnswOptions() (hnsw.Options, error) {
	m, err := v.Distance.Graph()
	if err != nil {
		return hnsw.Options{}, err
	}
	return hnsw.Options{M: v.HNSW.M, EfConstruction: v.HNSW.EfConstruction, Ef: v.HNSW.Ef, Metric: m}, nil
}

// Options configures Open. The zero value is valid; each field documents
// its default.
type Options struct {
	// Storage configures the Pebble store (file system, cache, logger).
	Storage storage.Options
	// Logger receives collection events. Nil means slog.Default().
	Logger *slog.Logger
	// MaxPayloadBytes bounds one point's payload as JSON. Zero means 1 MiB.
	MaxPayloadBytes int
	// SnapshotEvery is how many writes a collection takes before its graph
	// is saved again in the background (it is also saved at Close). Zero
	// means 20000.
	SnapshotEvery int
	// ExactSearchMax is the largest number of filter matches that a
	// filtered search scores exactly instead of walking the graph (it also
	// scores them exactly when under 2% of the points match: see
	// planFilter). Zero means 10000 (on GloVe-100, exact scoring of 1% of
	// 331k points ran at 4x the queries/s of the filtered graph walk, and
	// 3% about as fast as the two-hop walk at the same recall).
	ExactSearchMax int
	// SnapshotDir holds the snapshot files of CreateSnapshotFile and
	// CreateFullSnapshotFile. Empty means the data directory's
	// "snapshots" (Pebble ignores what it did not write).
	SnapshotDir string
	// MaxSnapshotBytes bounds a snapshot file read by RecoverFrom. Zero
	// means 64 GiB.
	MaxSnapshotBytes int64
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	o.Storage.EnsureDefaults()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxPayloadBytes == 0 {
		o.MaxPayloadBytes = 1 << 20
	}
	if o.SnapshotEvery == 0 {
		o.SnapshotEvery = 20000
	}
	if o.ExactSearchMax == 0 {
		o.ExactSearchMax = 10000
	}
	if o.MaxSnapshotBytes == 0 {
		o.MaxSnapshotBytes = 64 << 30
	}
}

// Validate reports every problem with the options.
func (o *Options) Validate() error {
	var errs []error
	if err := o.Storage.Validate(); err != nil {
		errs = append(errs, err)
	}
	if o.MaxPayloadBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxPayloadBytes %d is negative", o.MaxPayloadBytes))
	}
	if o.SnapshotEvery < 0 {
		errs = append(errs, fmt.Errorf("SnapshotEvery %d is negative", o.SnapshotEvery))
	}
	if o.MaxSnapshotBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxSnapshotBytes %d is negative", o.MaxSnapshotBytes))
	}
	if o.ExactSearchMax < 0 {
		errs = append(errs, fmt.Errorf("ExactSearchMax %d is negative", o.ExactSearchMax))
	}
	return errors.Join(errs...)
}
