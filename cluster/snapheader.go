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

// maxPeersJSON bounds the peers' URLs in a snapshot header, against a
// damaged length.
const maxPeersJSON = 16 << 20

// readSnapHeader reads a snapshot stream's header: the index of the last
// command in it and the peers' URLs (none in a version 1 stream).
func readSnapHeader(r io.Reader) (applied uint64, peers map[string]string, err error) {
	var head [len(snapMagic) + 8]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, fmt.Errorf("cluster: restore: snapshot header: %w", err)
	}
	applied = binary.BigEndian.Uint64(head[len(snapMagic):])
	switch string(head[:len(snapMagic)]) {
	case snapMagicV1:
		return applied, map[string]string{}, nil
	case snapMagic:
	default:
		return 0, nil, fmt.Errorf("cluster: restore: not a snapshot of this version")
	}
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return 0, nil, fmt.Errorf("cluster: restore: peers' length: %w", err)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxPeersJSON {
		return 0, nil, fmt.Errorf("cluster: restore: peers' URLs of %d bytes", size)
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return 0, nil, fmt.Errorf("cluster: restore: peers' URLs: %w", err)
	}
	peers = map[string]string{}
	if err := json.Unmarshal(raw, &peers); err != nil {
		return 0, nil, fmt.Errorf("cluster: restore: peers' URLs: %w", err)
	}
	if peers == nil { // "null": none recorded
		peers = map[string]string{}
	}
	return applied, peers, nil
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
