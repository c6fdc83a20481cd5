// Package progress shows how far long-running work has got: on a terminal a
// bar redrawn in place with the rate and the time left, elsewhere (a log, a
// CI transcript) one line every few seconds. It lives under internal/ because
// only Quiver's own commands and workloads use it.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Bar tracks one piece of work. Add is safe for concurrent use.
type Bar struct {
	w      io.Writer
	label  string
	unit   string
	total  int64
	done   atomic.Int64
	start  time.Time
	tty    bool
	quit   chan struct{}
	closed chan struct{}
}

// Start begins reporting to w (nil means nothing is shown) and returns the
// bar; call Finish when the work ends.
func Start(w io.Writer, label, unit string, total int64) *Bar {
	b := &Bar{w: w, label: label, unit: unit, total: total, start: time.Now(),
		quit: make(chan struct{}), closed: make(chan struct{})}
	if w == nil {
		close(b.closed)
		return b
	}
	b.tty = isTerminal(w)
	every := 5 * time.Second
	if b.tty {
		every = 200 * time.Millisecond
	}
	go b.loop(every)
	return b
}

// Add records n more units done.
func (b *Bar) Add(n int64) { b.done.Add(n) }

// Finish draws the final state and stops reporting.
func (b *Bar) Finish() {
	if b.w == nil {
		return
	}
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.closed
}

func (b *Bar) loop(every time.Duration) {
	defer close(b.closed)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.draw(false)
		case <-b.quit:
			b.draw(true)
			return
		}
	}
}

func (b *Bar) draw(final bool) {
	n := b.done.Load()
	elapsed := time.Since(b.start)
	rate := float64(n) / max(elapsed.Seconds(), 1e-9)
	eta := "?"
	if rate > 0 && b.total > 0 {
		eta = (time.Duration(float64(max(b.total-n, 0))/rate) * time.Second).Round(time.Second).String()
	}
	frac := 0.0
	if b.total > 0 {
		frac = min(float64(n)/float64(b.total), 1)
	}
	status := fmt.Sprintf("%d/%d %s (%.0f%%) %.0f %s/s elapsed %s ETA %s",
		n, b.total, b.unit, 100*frac, rate, b.unit, elapsed.Round(time.Second), eta)
	if !b.tty {
		fmt.Fprintf(b.w, "%s: %s\n", b.label, status)
		return
	}
	const width = 30
	filled := int(frac * width)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(b.w, "\r\033[K%s %s %s%s", b.label, bar, status, end)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
