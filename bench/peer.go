package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// PeerConfig names a peer script and its interpreter.
type PeerConfig struct {
	// Script is the peer (scripts/peers/bm25s_retrieval.py); empty means
	// no peer runs.
	Script string
	// Python runs Script; empty means "python3".
	Python string
}

// PeerInfo is what a peer said once its index was built.
type PeerInfo struct {
	Version string `json:"version"`
	Backend string `json:"backend"`
	Docs    int    `json:"docs"`
	Queries int    `json:"queries"`
	// IndexSeconds is the peer's load and index time, WarmupSeconds its
	// untimed first queries (numba compiles then).
	IndexSeconds  float64 `json:"index_seconds"`
	WarmupSeconds float64 `json:"warmup_seconds"`
}

// peerProc is a running peer: it built its index once and answers one
// timed pass over its queries per request, so that its passes can take
// turns with Quiver's in one job.
type peerProc struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *json.Decoder
	info PeerInfo
}

// peerPass is one pass's answer; Results are set when asked for.
type peerPass struct {
	Seconds float64   `json:"seconds"`
	Results [][]int32 `json:"results"`
}

// startPeer runs cfg's script with args and waits until its index is
// built; the peer's stderr goes to log.
func startPeer(ctx context.Context, cfg PeerConfig, args []string, log io.Writer) (*peerProc, error) {
	python := cfg.Python
	if python == "" {
		python = "python3"
	}
	cmd := exec.CommandContext(ctx, python, append([]string{cfg.Script}, args...)...)
	cmd.Stderr = log
	if log == nil {
		cmd.Stderr = io.Discard
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("peer %s: %w", cfg.Script, err)
	}
	p := &peerProc{cmd: cmd, in: in, out: json.NewDecoder(bufio.NewReader(out))}
	if err := p.out.Decode(&p.info); err != nil {
		return nil, errors.Join(fmt.Errorf("peer %s: first line: %w", cfg.Script, err), p.close())
	}
	return p, nil
}

// pass asks for one timed pass over the peer's queries.
func (p *peerProc) pass(results bool) (peerPass, error) {
	line := "pass\n"
	if results {
		line = "pass results\n"
	}
	if _, err := io.WriteString(p.in, line); err != nil {
		return peerPass{}, fmt.Errorf("peer: %w", err)
	}
	var out peerPass
	if err := p.out.Decode(&out); err != nil {
		return peerPass{}, fmt.Errorf("peer: pass: %w", err)
	}
	return out, nil
}

// close ends the peer and waits for it.
func (p *peerProc) close() error {
	io.WriteString(p.in, "quit\n")
	p.in.Close()
	if err := p.cmd.Wait(); err != nil {
		return fmt.Errorf("peer: %w", err)
	}
	return nil
}

// peerKind is the peer as one of the kinds taking turns; got receives the
// results of its first pass.
func peerKind(name string, p *peerProc, got *[][]int32) timedKind {
	return timedKind{name: name, pass: func(context.Context) (time.Duration, error) {
		r, err := p.pass(*got == nil)
		if err != nil {
			return 0, err
		}
		if *got == nil {
			*got = r.Results
		}
		return time.Duration(r.Seconds * float64(time.Second)), nil
	}}
}

// writeIDLists writes lists as a peer reads them: little-endian uint32s,
// the count, each list's length, then every id.
func writeIDLists(path string, lists [][]uint32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	buf := binary.LittleEndian.AppendUint32(nil, uint32(len(lists)))
	for _, l := range lists {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(l)))
	}
	w.Write(buf)
	for _, l := range lists {
		buf = buf[:0]
		for _, id := range l {
			buf = binary.LittleEndian.AppendUint32(buf, id)
		}
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
