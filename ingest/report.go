package ingest

import (
	"fmt"
	"io"
	"strings"
)

// maxListed bounds the records listed for each reason in Report.
const maxListed = 10

// Report writes the summary for a person: the CSV columns' types, the
// counts (with the records not sent, when Run failed), the skipped records by reason (the first few of each with their
// lines) and where the server's time went.
func (s *Summary) Report(w io.Writer) {
	if len(s.Columns) > 0 {
		cols := make([]string, len(s.Columns))
		for i, c := range s.Columns {
			cols[i] = c.String()
		}
		fmt.Fprintf(w, "columns: %s\n", strings.Join(cols, ", "))
	}
	secs := max(s.Elapsed.Seconds(), 1e-9)
	unsent := ""
	if n := s.Read - s.Written - s.Replaced - len(s.Skipped); n > 0 {
		unsent = fmt.Sprintf(", %d not sent", n) // the ingest failed
	}
	fmt.Fprintf(w, "read %d records: %d written, %d replaced, %d skipped%s, in %s (%.0f points/s)\n",
		s.Read, s.Written, s.Replaced, len(s.Skipped), unsent, s.Elapsed.Round(1e6), float64(s.Written+s.Replaced)/secs)
	for _, r := range []Reason{Exists, Duplicate, Invalid} {
		var listed []string
		n := 0
		for _, sk := range s.Skipped {
			if sk.Reason != r {
				continue
			}
			if n++; n <= maxListed {
				listed = append(listed, sk.String())
			}
		}
		if n == 0 {
			continue
		}
		more := ""
		if n > maxListed {
			more = fmt.Sprintf("; and %d more", n-maxListed)
		}
		fmt.Fprintf(w, "skipped %d, %s: %s%s\n", n, r, strings.Join(listed, "; "), more)
	}
	if s.ServerTimes == nil {
		return
	}
	rest := secs
	fmt.Fprintf(w, "where the %.1fs went (server metrics):", secs)
	for _, t := range s.ServerTimes {
		rest -= t.Seconds
		fmt.Fprintf(w, " %s %.1fs (%.1f%%),", t.Label, t.Seconds, 100*t.Seconds/secs)
	}
	fmt.Fprintf(w, " HTTP, JSON and the rest %.1fs (%.1f%%)\n", rest, 100*rest/secs)
}
