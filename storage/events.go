package storage

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// eventListener turns Pebble's events into the disk guard's state and into
// logs. Pebble retries a failed flush at once and without end, so repeated
// errors are logged once per logEvery with a count.
func (s *Store) eventListener() *pebble.EventListener {
	bg := &rateLog{log: s.log, msg: "pebble: background error"}
	slow := &rateLog{log: s.log, msg: "pebble: disk slow"}
	return &pebble.EventListener{
		BackgroundError: func(err error) {
			if isNoSpace(err) {
				s.guard.noSpace("a flush or compaction")
			}
			bg.add(err)
		},
		FlushEnd: func(info pebble.FlushInfo) {
			s.guard.flushDone(info.Err)
		},
		CompactionEnd: func(info pebble.CompactionInfo) {
			if info.Err != nil && isNoSpace(info.Err) {
				s.guard.noSpace("a compaction")
			}
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			s.log.Warn("pebble: write stall", "reason", info.Reason)
			s.guard.setStalled(true)
		},
		WriteStallEnd: func() {
			s.log.Info("pebble: write stall over")
			s.guard.setStalled(false)
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			slow.add(fmt.Errorf("%s", info))
		},
	}
}

// logEvery is how often a repeating Pebble error is logged.
const logEvery = 10 * time.Second

// rateLog logs an error at once, then at most once per logEvery with the
// number of errors since the last line.
type rateLog struct {
	log *slog.Logger
	msg string
	mu  struct {
		sync.Mutex
		last   time.Time
		missed int
	}
}

func (r *rateLog) add(err error) {
	r.mu.Lock()
	if time.Since(r.mu.last) < logEvery {
		r.mu.missed++
		r.mu.Unlock()
		return
	}
	missed := r.mu.missed
	r.mu.last, r.mu.missed = time.Now(), 0
	r.mu.Unlock()
	r.log.Error(r.msg, "err", err, "repeats_not_logged", missed)
}

// pebbleLogger sends Pebble's messages to slog: Infof at Debug level,
// Errorf at Error. Fatalf marks the store failed (fatal) and panics, as
// Pebble expects it not to return: a fatal error in a commit is turned
// back into an error by Store.commit, one elsewhere ends the process.
type pebbleLogger struct {
	log   *slog.Logger
	fatal func(msg string)
}

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := "pebble: " + fmt.Sprintf(format, args...)
	l.log.Error(msg)
	if l.fatal != nil {
		l.fatal(msg)
	}
	panic(msg)
}
