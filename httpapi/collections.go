package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/gorilla/mux"

	"github.com/quiver-db/quiver/index"
)

// vectorsConfig is the "vectors" object of a collection: Qdrant's size and
// distance, or Quiver's model, whose dimension gives the size.
type vectorsConfig struct {
	Size     int             `json:"size"`
	Distance index.Metric    `json:"distance"`
	Model    string          `json:"model"`
	HNSW     *hnswConfig     `json:"hnsw_config"`
	OnDisk   *bool           `json:"on_disk"`
	Datatype json.RawMessage `json:"datatype"`
	// QuantizationConfig is this vector's own quantization_config.
	QuantizationConfig json.RawMessage `json:"quantization_config"`
	// IVF is this vector's own ivf_config (Quiver's; see index.IVFConfig).
	IVF *index.IVFConfig `json:"ivf_config"`
}

// hnswConfig is Qdrant's hnsw_config; the fields Quiver has no use for are
// accepted and ignored.
type hnswConfig struct {
	M                  int   `json:"m"`
	EfConstruct        int   `json:"ef_construct"`
	Ef                 int   `json:"ef"`
	FullScanThreshold  *int  `json:"full_scan_threshold"`
	MaxIndexingThreads *int  `json:"max_indexing_threads"`
	OnDisk             *bool `json:"on_disk"`
	PayloadM           *int  `json:"payload_m"`
}

// createCollectionRequest is the body of PUT /collections/{c}.
// shard_number and replication_factor other than 1 shard the collection
// on a node whose Replica is a Sharder (and are refused elsewhere); the
// WAL and optimizer fields are accepted and ignored: Quiver has its own
// storage.
type createCollectionRequest struct {
	Vectors                *collectionVectors             `json:"vectors"`
	HNSW                   *hnswConfig                    `json:"hnsw_config"`
	PayloadSchema          map[string]index.FieldType     `json:"payload_schema"`
	ShardNumber            *int                           `json:"shard_number"`
	ShardingMethod         json.RawMessage                `json:"sharding_method"`
	ReplicationFactor      *int                           `json:"replication_factor"`
	WriteConsistencyFactor *int                           `json:"write_consistency_factor"`
	OnDiskPayload          *bool                          `json:"on_disk_payload"`
	WalConfig              json.RawMessage                `json:"wal_config"`
	OptimizersConfig       json.RawMessage                `json:"optimizers_config"`
	QuantizationConfig     json.RawMessage                `json:"quantization_config"`
	IVF                    *index.IVFConfig               `json:"ivf_config"`
	SparseVectors          map[string]*sparseVectorParams `json:"sparse_vectors"`
	InitFrom               json.RawMessage                `json:"init_from"`
	StrictModeConfig       json.RawMessage                `json:"strict_mode_config"`
	Metadata               json.RawMessage                `json:"metadata"`
}

func (h *Handler) collection(r *http.Request) (*index.Collection, error) {
	return h.db.Collection(mux.Vars(r)["collection"])
}

func (h *Handler) listCollections(*http.Request) (any, error) {
	type desc struct {
		Name string `json:"name"`
	}
	names := h.db.List()
	out := make([]desc, len(names))
	for i, n := range names {
		out[i] = desc{Name: n}
	}
	return map[string]any{"collections": out}, nil
}

func (h *Handler) collectionExists(r *http.Request) (any, error) {
	_, err := h.collection(r)
	if statusOf(err) == http.StatusNotFound {
		return map[string]bool{"exists": false}, nil
	}
	if err != nil {
		return nil, err
	}
	return map[string]bool{"exists": true}, nil
}

func (h *Handler) createCollection(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "timeout"); err != nil {
		return nil, err
	}
	var req createCollectionRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	s, sharded, err := shardingOf(&req)
	if err != nil {
		return nil, err
	}
	sharder := h.sharder()
	if sharded && sharder == nil {
		return nil, badRequest("shard_number and replication_factor: Quiver is a single node; want 1")
	}
	cfg, err := h.collectionConfig(req)
	if err != nil {
		return nil, err
	}
	name := mux.Vars(r)["collection"]
	if sharded {
		err = sharder.CreateSharded(r.Context(), name, cfg, s)
	} else {
		err = h.writer.Create(r.Context(), name, cfg)
	}
	if err != nil {
		return nil, err
	}
	return true, nil
}

// collectionConfig turns a create request into an index.Config.
func (h *Handler) collectionConfig(req createCollectionRequest) (index.Config, error) {
	for name, raw := range map[string]json.RawMessage{
		"init_from": req.InitFrom, "sharding_method": req.ShardingMethod,
	} {
		if !isNull(raw) {
			return index.Config{}, badRequest("%s: not supported", name)
		}
	}
	quant, err := parseQuantization(req.QuantizationConfig, "quantization_config", false)
	if err != nil {
		return index.Config{}, err
	}
	cfg := index.Config{PayloadIndexes: req.PayloadSchema, Quantization: quant, IVF: req.IVF}
	if err := sparseConfig(&cfg, req.SparseVectors); err != nil {
		return index.Config{}, err
	}
	if req.Vectors == nil && cfg.SparseVectors != nil {
		return cfg, nil
	}
	if req.Vectors == nil {
		return index.Config{}, badRequest("vectors: required (size and distance, or model), or sparse_vectors")
	}
	if req.HNSW != nil {
		cfg.HNSW = index.HNSWConfig{M: req.HNSW.M, EfConstruction: req.HNSW.EfConstruct, Ef: req.HNSW.Ef}
	}
	single := req.Vectors.Single
	if only := req.Vectors.Named[""]; only != nil && len(req.Vectors.Named) == 1 && cfg.SparseVectors == nil {
		// {"": params} alone is Qdrant's default vector by its name: the
		// unnamed vector (LangChain creates its dense collections so).
		single = only
	} else if req.Vectors.Named != nil {
		return cfg, h.namedVectorsConfig(&cfg, req.Vectors.Named)
	}
	v, err := h.vectorConfig(single, "vectors")
	if err != nil {
		return index.Config{}, err
	}
	cfg.VectorSize, cfg.Distance, cfg.Model = v.Size, v.Distance, v.Model
	if single.HNSW != nil {
		cfg.HNSW = v.HNSW
	}
	if v.Quantization != nil {
		cfg.Quantization = v.Quantization // the vector's own wins, as in Qdrant
	}
	if v.IVF != nil {
		cfg.IVF = v.IVF
	}
	return cfg, nil
}

func (h *Handler) deleteCollection(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "timeout"); err != nil {
		return nil, err
	}
	name := mux.Vars(r)["collection"]
	c, _ := h.db.Collection(name)
	err := h.writer.Drop(r.Context(), name)
	if err == nil && c != nil {
		h.trainer.Forget(c)
	}
	if statusOf(err) == http.StatusNotFound {
		// As Qdrant answers, and as its clients' recreate_collection
		// expects: dropping a missing collection is false, not an error.
		return false, nil
	}
	if err != nil {
		return nil, err
	}
	return true, nil
}

// collectionInfo is Qdrant's CollectionInfo, with the fields its clients
// require; the optimizer and WAL parts report fixed values because Quiver
// has neither.
type collectionInfo struct {
	Status              string                       `json:"status"`
	OptimizerStatus     string                       `json:"optimizer_status"`
	IndexedVectorsCount int                          `json:"indexed_vectors_count"`
	PointsCount         int                          `json:"points_count"`
	SegmentsCount       int                          `json:"segments_count"`
	Config              collectionConfigOut          `json:"config"`
	PayloadSchema       map[string]payloadSchemaInfo `json:"payload_schema"`
	DiskBytes           uint64                       `json:"disk_bytes"`
	// IVFStatus is each vector's partitioned index, by vector name ("" for
	// the unnamed one); absent without any.
	IVFStatus map[string]ivfStatusOut `json:"ivf_status,omitempty"`
}

// ivfStatusOut is one vector's partitioned index in GET /collections/{c}.
type ivfStatusOut struct {
	// Status is "built", "building" (no index yet) or "rebuilding", or
	// "waiting" while the vector holds fewer points than min_points.
	Status      string `json:"status"`
	Points      int    `json:"points"`
	Cells       int    `json:"cells"`
	MemoryBytes int64  `json:"memory_bytes"`
}

func ivfStatusOf(st index.IVFStatus) ivfStatusOut {
	out := ivfStatusOut{Status: "waiting", Points: st.Points, Cells: st.Cells, MemoryBytes: st.Memory}
	switch {
	case st.Built && st.Building:
		out.Status = "rebuilding"
	case st.Built:
		out.Status = "built"
	case st.Building:
		out.Status = "building"
	}
	return out
}

type collectionConfigOut struct {
	Params struct {
		Vectors                vectorsOut                 `json:"vectors"`
		SparseVectors          map[string]sparseParamsOut `json:"sparse_vectors,omitempty"`
		ShardNumber            int                        `json:"shard_number"`
		ReplicationFactor      int                        `json:"replication_factor"`
		WriteConsistencyFactor int                        `json:"write_consistency_factor"`
		OnDiskPayload          bool                       `json:"on_disk_payload"`
	} `json:"params"`
	HNSW struct {
		M                 int `json:"m"`
		EfConstruct       int `json:"ef_construct"`
		Ef                int `json:"ef"`
		FullScanThreshold int `json:"full_scan_threshold"`
	} `json:"hnsw_config"`
	QuantizationConfig any              `json:"quantization_config"`
	IVF                *index.IVFConfig `json:"ivf_config,omitempty"`
	OptimizerConfig    struct {
		DefaultSegmentNumber int `json:"default_segment_number"`
		FlushIntervalSec     int `json:"flush_interval_sec"`
	} `json:"optimizer_config"`
}

type payloadSchemaInfo struct {
	DataType index.FieldType `json:"data_type"`
	Points   int             `json:"points"`
}

// Defaults the hnsw package applies to zero HNSWConfig fields, reported by
// GET /collections/{c}.
const (
	defaultM           = 16
	defaultEfConstruct = 200
	defaultEf          = 64
)

func (h *Handler) getCollection(r *http.Request) (any, error) {
	info, err := h.db.Describe(mux.Vars(r)["collection"])
	if err != nil {
		return nil, err
	}
	out := collectionInfo{
		Status: "green", OptimizerStatus: "ok",
		IndexedVectorsCount: info.GraphNodes, PointsCount: info.Points, SegmentsCount: 1,
		PayloadSchema: map[string]payloadSchemaInfo{}, DiskBytes: info.DiskBytes,
	}
	p := &out.Config.Params
	p.Vectors = vectorsOutOf(info.Config)
	p.SparseVectors = sparseOutOf(info.Config)
	for _, n := range info.VectorNodes {
		out.IndexedVectorsCount += n
	}
	p.ShardNumber, p.ReplicationFactor, p.WriteConsistencyFactor, p.OnDiskPayload = 1, 1, 1, true
	if _, s, ok := h.sharded(mux.Vars(r)["collection"]); ok {
		// The node's copy is the schema alone: the points are the shards'.
		if info.Points, err = h.countAll(r.Context(), mux.Vars(r)["collection"]); err != nil {
			return nil, err
		}
		out.PointsCount, out.IndexedVectorsCount = info.Points, info.Points
		p.ShardNumber, p.ReplicationFactor = s.Shards, s.Replicas
	}
	hc := &out.Config.HNSW
	hc.M, hc.EfConstruct, hc.Ef = orDefault(info.Config.HNSW.M, defaultM), orDefault(info.Config.HNSW.EfConstruction, defaultEfConstruct), orDefault(info.Config.HNSW.Ef, defaultEf)
	hc.FullScanThreshold = 0
	out.Config.QuantizationConfig = quantizationOut(info.Config.Quantization)
	out.Config.IVF = info.Config.IVF
	for name, st := range info.IVF {
		if out.IVFStatus == nil {
			out.IVFStatus = map[string]ivfStatusOut{}
		}
		out.IVFStatus[name] = ivfStatusOf(st)
	}
	keys := make([]string, 0, len(info.Config.PayloadIndexes))
	for k := range info.Config.PayloadIndexes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.PayloadSchema[k] = payloadSchemaInfo{DataType: info.Config.PayloadIndexes[k], Points: info.Points}
	}
	return out, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// createIndexRequest is the body of PUT /collections/{c}/index.
type createIndexRequest struct {
	FieldName   string          `json:"field_name"`
	FieldSchema json.RawMessage `json:"field_schema"`
}

// createIndex answers PUT /collections/{c}/index: it builds a keyword or
// numeric payload index on a live collection (filters work on every field
// with or without one; the index makes selective filters fast). A request
// that contradicts an existing index is refused.
func (h *Handler) createIndex(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "ordering"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req createIndexRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.FieldName == "" {
		return nil, badRequest("field_name: required")
	}
	var schema struct {
		Type index.FieldType `json:"type"`
	}
	if err := json.Unmarshal(req.FieldSchema, &schema.Type); err != nil {
		if err := decodeJSONBytes(req.FieldSchema, &schema); err != nil {
			return nil, badRequest("field_schema: want a type name or {\"type\": ...}")
		}
	}
	switch schema.Type {
	case index.Keyword, index.Integer, index.Float:
	default:
		return nil, badRequest("field_schema %q: Quiver indexes keyword, integer and float fields", schema.Type)
	}
	info, err := c.Info()
	if err != nil {
		return nil, err
	}
	have, ok := info.Config.PayloadIndexes[req.FieldName]
	switch {
	case ok && have != schema.Type:
		return nil, badRequest("field_name %q already has a %s index", req.FieldName, have)
	case !ok:
		if err := h.writer.PayloadIndex(r.Context(), c.Name(), req.FieldName, schema.Type); err != nil {
			return nil, fmt.Errorf("create payload index %q: %w", req.FieldName, err)
		}
	}
	return h.updated(), nil
}
