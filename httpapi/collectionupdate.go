package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/quiver-db/quiver/index"
)

// updateCollectionRequest is the body of PATCH /collections/{c}, Qdrant's
// UpdateCollection. What Quiver can change live is the graphs' ef_construct
// (for the inserts after the change), ef (the default search ef),
// quantization_config (a config, or "Disabled" to remove it) and Quiver's
// ivf_config (a config, or {"disabled": true} to remove it); the rest is
// accepted when it changes nothing Quiver has, and refused with the field
// named when it asks for what Quiver cannot do.
type updateCollectionRequest struct {
	Vectors            map[string]*vectorParamsDiff `json:"vectors"`
	HNSW               *hnswConfigDiff              `json:"hnsw_config"`
	OptimizersConfig   *optimizersConfigDiff        `json:"optimizers_config"`
	Params             *collectionParamsDiff        `json:"params"`
	QuantizationConfig json.RawMessage              `json:"quantization_config"`
	IVF                *index.IVFConfig             `json:"ivf_config"`
	SparseVectors      json.RawMessage              `json:"sparse_vectors"`
	StrictModeConfig   json.RawMessage              `json:"strict_mode_config"`
	Metadata           json.RawMessage              `json:"metadata"`
}

// hnswConfigDiff is Qdrant's HnswConfigDiff. full_scan_threshold,
// max_indexing_threads, on_disk, payload_m and inline_storage are accepted
// and ignored, as at create: Quiver's exact-scoring threshold is a server
// option, graphs are built by the writing request, live in memory, and
// payload indexes are not graphs.
type hnswConfigDiff struct {
	M                  *int  `json:"m"`
	EfConstruct        *int  `json:"ef_construct"`
	Ef                 *int  `json:"ef"`
	FullScanThreshold  *int  `json:"full_scan_threshold"`
	MaxIndexingThreads *int  `json:"max_indexing_threads"`
	OnDisk             *bool `json:"on_disk"`
	PayloadM           *int  `json:"payload_m"`
	InlineStorage      *bool `json:"inline_storage"`
}

func (d *hnswConfigDiff) update() index.HNSWUpdate {
	return index.HNSWUpdate{M: d.M, EfConstruction: d.EfConstruct, Ef: d.Ef}
}

// vectorParamsDiff is one vector's entry of "vectors". on_disk is
// accepted and ignored (vectors live in Pebble and in the graph's memory).
type vectorParamsDiff struct {
	HNSW               *hnswConfigDiff  `json:"hnsw_config"`
	QuantizationConfig json.RawMessage  `json:"quantization_config"`
	IVF                *index.IVFConfig `json:"ivf_config"`
	OnDisk             *bool            `json:"on_disk"`
}

// optimizersConfigDiff is Qdrant's OptimizersConfigDiff, accepted and
// ignored: Quiver has no segments and no optimizer to tune. Every write is
// synced (flush_interval_sec), inserted into the graph by the request that
// makes it (indexing_threshold, max_optimization_threads, prevent_unoptimized),
// and deletions are cleaned out of the graph when it is saved
// (deleted_threshold, vacuum_min_vector_number); segment sizes have no
// counterpart.
type optimizersConfigDiff struct {
	DeletedThreshold       *float64        `json:"deleted_threshold"`
	VacuumMinVectorNumber  *int            `json:"vacuum_min_vector_number"`
	DefaultSegmentNumber   *int            `json:"default_segment_number"`
	MaxSegmentSize         *int            `json:"max_segment_size"`
	MemmapThreshold        *int            `json:"memmap_threshold"`
	IndexingThreshold      *int            `json:"indexing_threshold"`
	FlushIntervalSec       *int            `json:"flush_interval_sec"`
	MaxOptimizationThreads json.RawMessage `json:"max_optimization_threads"`
	PreventUnoptimized     *bool           `json:"prevent_unoptimized"`
}

// collectionParamsDiff is Qdrant's CollectionParamsDiff. Quiver is one
// node whose payloads live in Pebble: each field is accepted only at the
// value it has. The fields fixed at create are named so the refusal can
// say so.
type collectionParamsDiff struct {
	ReplicationFactor      *int            `json:"replication_factor"`
	WriteConsistencyFactor *int            `json:"write_consistency_factor"`
	ReadFanOutFactor       *int            `json:"read_fan_out_factor"`
	ReadFanOutDelayMs      *int            `json:"read_fan_out_delay_ms"`
	OnDiskPayload          *bool           `json:"on_disk_payload"`
	Vectors                json.RawMessage `json:"vectors"`
	ShardNumber            json.RawMessage `json:"shard_number"`
	ShardingMethod         json.RawMessage `json:"sharding_method"`
	SparseVectors          json.RawMessage `json:"sparse_vectors"`
}

func (p *collectionParamsDiff) check() error {
	if name := firstSet(rawField{"vectors", p.Vectors}, rawField{"shard_number", p.ShardNumber},
		rawField{"sharding_method", p.ShardingMethod}, rawField{"sparse_vectors", p.SparseVectors}); name != "" {
		return badRequest("params.%s: fixed when the collection is created; it cannot change", name)
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"replication_factor", p.ReplicationFactor}, {"write_consistency_factor", p.WriteConsistencyFactor}} {
		if f.v != nil && *f.v != 1 {
			return badRequest("params.%s %d: Quiver is a single node; it is 1 and cannot change", f.name, *f.v)
		}
	}
	if p.ReadFanOutFactor != nil && *p.ReadFanOutFactor != 0 || p.ReadFanOutDelayMs != nil && *p.ReadFanOutDelayMs != 0 {
		return badRequest("params.read_fan_out_factor, read_fan_out_delay_ms: Quiver is a single node with no replicas to fan out to")
	}
	if p.OnDiskPayload != nil && !*p.OnDiskPayload {
		return badRequest("params.on_disk_payload false: payloads always live in Pebble, on disk; it cannot change")
	}
	return nil
}

// updateCollection answers PATCH /collections/{c}.
func (h *Handler) updateCollection(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req updateCollectionRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	u, err := configUpdate(req)
	if err != nil {
		return nil, err
	}
	if err := h.writer.UpdateConfig(r.Context(), c.Name(), u); err != nil {
		return nil, err
	}
	return true, nil
}

// configUpdate checks a PATCH body and turns it into an index.ConfigUpdate.
func configUpdate(req updateCollectionRequest) (index.ConfigUpdate, error) {
	if name := firstSet(rawField{"sparse_vectors", req.SparseVectors},
		rawField{"strict_mode_config", req.StrictModeConfig}, rawField{"metadata", req.Metadata}); name != "" {
		return index.ConfigUpdate{}, badRequest("%s: not supported", name)
	}
	if req.Params != nil {
		if err := req.Params.check(); err != nil {
			return index.ConfigUpdate{}, err
		}
	}
	var u index.ConfigUpdate
	q, err := parseQuantization(req.QuantizationConfig, "quantization_config", true)
	if err != nil {
		return index.ConfigUpdate{}, err
	}
	u.Quantization, u.IVF = q, req.IVF
	if req.HNSW != nil {
		hu := req.HNSW.update()
		u.HNSW = &hu
	}
	if len(req.Vectors) > index.MaxNamedVectors+1 {
		return index.ConfigUpdate{}, badRequest("vectors: %d entries, a collection has at most %d", len(req.Vectors), index.MaxNamedVectors)
	}
	for _, name := range slices.Sorted(maps.Keys(req.Vectors)) {
		v := req.Vectors[name]
		if v == nil {
			continue
		}
		q, err := parseQuantization(v.QuantizationConfig, fmt.Sprintf("vectors.%q.quantization_config", name), true)
		if err != nil {
			return index.ConfigUpdate{}, err
		}
		if q != nil {
			if u.VectorQuantization == nil {
				u.VectorQuantization = map[string]index.QuantizationConfig{}
			}
			u.VectorQuantization[name] = *q
		}
		if v.IVF != nil {
			if u.VectorIVF == nil {
				u.VectorIVF = map[string]index.IVFConfig{}
			}
			u.VectorIVF[name] = *v.IVF
		}
		if v.HNSW != nil {
			if u.Vectors == nil {
				u.Vectors = map[string]index.HNSWUpdate{}
			}
			u.Vectors[name] = v.HNSW.update()
		}
	}
	return u, nil
}

// rawField is a JSON member kept raw, to tell whether it was sent.
type rawField struct {
	name string
	raw  json.RawMessage
}

// firstSet returns the name of the first field that is set (not absent
// or null), "" if none is.
func firstSet(fields ...rawField) string {
	for _, f := range fields {
		if !isNull(f.raw) {
			return f.name
		}
	}
	return ""
}
