package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// residentBytes reads this process's resident set size from /proc; it
// returns 0 where /proc is missing.
func residentBytes() int64 { return residentBytesOf("self") }

// residentBytesOf reads the resident set size of process pid ("self" for
// this one) from /proc; 0 where it cannot.
func residentBytesOf(pid string) int64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
