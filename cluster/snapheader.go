package cluster

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	"github.com/quiver-db/quiver/index"
)

// aliasesEntry is the aliases' entry in the DB's full snapshot:
// [{"alias_name", "collection_name"}] (index/fullsnap.go).
const aliasesEntry = "aliases.json"

// maxHeaderJSON bounds each JSON section of a snapshot header, against
// a damaged length.
const maxHeaderJSON = 16 << 20

// snapHeader is what a snapshot stream holds before the DB's tar.
type snapHeader struct {
	applied    uint64
	peers      map[string]string    // the peers' URLs
	placements map[string]Placement // the sharded collections
}

// readSnapHeader reads a snapshot stream's header: the index of the last
// command in it, the peers' URLs (none in a version 1 stream) and the
// placements of the sharded collections (none before version 3).
func readSnapHeader(r io.Reader) (snapHeader, error) {
	h := snapHeader{peers: map[string]string{}, placements: map[string]Placement{}}
	var head [len(snapMagic) + 8]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return h, fmt.Errorf("cluster: restore: snapshot header: %w", err)
	}
	h.applied = binary.BigEndian.Uint64(head[len(snapMagic):])
	var sections []any
	switch string(head[:len(snapMagic)]) {
	case snapMagicV1:
	case snapMagicV2:
		sections = []any{&h.peers}
	case snapMagic:
		sections = []any{&h.peers, &h.placements}
	default:
		return h, fmt.Errorf("cluster: restore: not a snapshot of a version this node reads: %q", head[:len(snapMagic)])
	}
	for _, v := range sections {
		if err := readJSONSection(r, v); err != nil {
			return h, err
		}
	}
	if h.peers == nil { // "null": none recorded
		h.peers = map[string]string{}
	}
	if h.placements == nil {
		h.placements = map[string]Placement{}
	}
	return h, nil
}

// readJSONSection reads a big-endian uint32 length and that much JSON
// into v.
func readJSONSection(r io.Reader, v any) error {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return fmt.Errorf("cluster: restore: snapshot header: %w", err)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxHeaderJSON {
		return fmt.Errorf("cluster: restore: snapshot header section of %d bytes", size)
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return fmt.Errorf("cluster: restore: snapshot header: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("cluster: restore: snapshot header: %w", err)
	}
	return nil
}

// appendJSONSection appends raw's length and raw, as readJSONSection
// reads them.
func appendJSONSection(head, raw []byte) []byte {
	head = binary.BigEndian.AppendUint32(head, uint32(len(raw)))
	return append(head, raw...)
}

// restoreAliases replaces db's aliases with those of a full snapshot's
// aliases entry; raw nil (no entry) means none.
func restoreAliases(db *index.DB, raw []byte) error {
	var list []struct {
		Alias      string `json:"alias_name"`
		Collection string `json:"collection_name"`
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &list); err != nil {
			return fmt.Errorf("cluster: restore aliases: %w", err)
		}
	}
	aliases := make(map[string]string, len(list))
	for _, a := range list {
		aliases[a.Alias] = a.Collection
	}
	if err := db.SetAliases(aliases); err != nil {
		return fmt.Errorf("cluster: restore aliases: %w", err)
	}
	return nil
}
