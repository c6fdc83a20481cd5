package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The slow-disk fault: the victim's process moves into a cgroup (v1
// blkio) whose writes to the data directory's disk are throttled, so its
// Raft log's fsyncs queue, without stopping the process as SIGSTOP would.
// cgroup v2's io.max would do the same; it is not written yet, and the
// kind is refused there with that reason.

const blkioRoot = "/sys/fs/cgroup/blkio"

// Throttle of a slowed disk: writes per second and bytes per second.
const (
	slowDiskIOPS = 20
	slowDiskBPS  = 1 << 20
)

// diskThrottle is one run's blkio cgroup and the disk it throttles.
type diskThrottle struct {
	dir string // the cgroup's directory
	dev string // "MAJOR:MINOR" of the whole disk
	// home is the blkio cgroup directory each slowed pid came from.
	home map[int]string
}

// openDiskThrottle makes the cgroup qv<pid>d for the disk under dataDir,
// or says why it cannot.
func openDiskThrottle(dataDir string) (*diskThrottle, error) {
	if _, err := os.Stat(filepath.Join(blkioRoot, "blkio.throttle.write_iops_device")); err != nil {
		if _, v2 := os.Stat("/sys/fs/cgroup/cgroup.controllers"); v2 == nil {
			return nil, errors.New("cgroup v2 (io.max) is not supported by the slow-disk fault yet, only v1 blkio")
		}
		return nil, fmt.Errorf("no cgroup v1 blkio throttling: %w", err)
	}
	dev, err := wholeDisk(dataDir)
	if err != nil {
		return nil, err
	}
	d := &diskThrottle{dir: filepath.Join(blkioRoot, "qv"+strconv.Itoa(os.Getpid())+"d"), dev: dev, home: map[int]string{}}
	if err := os.Mkdir(d.dir, 0o755); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("blkio cgroup: %w", err)
	}
	return d, nil
}

// wholeDisk is the MAJOR:MINOR of the disk (not the partition) holding
// dir: blkio throttles whole disks.
func wholeDisk(dir string) (string, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return "", fmt.Errorf("stat %s: %w", dir, err)
	}
	dev := fmt.Sprintf("%d:%d", unixMajor(st.Dev), unixMinor(st.Dev))
	sys := "/sys/dev/block/" + dev
	if _, err := os.Stat(sys); err != nil {
		return "", fmt.Errorf("%s is on %s, not a block device (tmpfs, overlay?): %w", dir, dev, err)
	}
	if _, err := os.Stat(sys + "/partition"); err == nil {
		raw, err := os.ReadFile(sys + "/../dev")
		if err != nil {
			return "", fmt.Errorf("the disk of partition %s: %w", dev, err)
		}
		dev = strings.TrimSpace(string(raw))
	}
	return dev, nil
}

func unixMajor(dev uint64) uint64 { return (dev>>8)&0xfff | (dev>>32)&^0xfff }
func unixMinor(dev uint64) uint64 { return dev&0xff | (dev>>12)&^0xff }

func (d *diskThrottle) write(file, value string) error {
	if err := os.WriteFile(filepath.Join(d.dir, file), []byte(value), 0o644); err != nil {
		return fmt.Errorf("blkio %s: %w", file, err)
	}
	return nil
}

// slow throttles the disk in the cgroup and moves pid (every thread) in.
func (d *diskThrottle) slow(pid int) error {
	home, err := blkioCgroupOf(pid)
	if err != nil {
		return err
	}
	d.home[pid] = home
	if err := errors.Join(d.write("blkio.throttle.write_iops_device", fmt.Sprintf("%s %d", d.dev, slowDiskIOPS)),
		d.write("blkio.throttle.write_bps_device", fmt.Sprintf("%s %d", d.dev, slowDiskBPS))); err != nil {
		return err
	}
	return d.write("cgroup.procs", strconv.Itoa(pid))
}

// heal moves pid back to its cgroup and lifts the throttle.
func (d *diskThrottle) heal(pid int) error {
	home, ok := d.home[pid]
	if !ok {
		home = blkioRoot
	}
	delete(d.home, pid)
	err := os.WriteFile(filepath.Join(home, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
	if errors.Is(err, syscall.ESRCH) {
		err = nil // the process is gone
	}
	return errors.Join(err,
		d.write("blkio.throttle.write_iops_device", d.dev+" 0"),
		d.write("blkio.throttle.write_bps_device", d.dev+" 0"))
}

func (d *diskThrottle) close() { removeCgroupDir(d.dir) }

// blkioCgroupOf is the directory of pid's blkio cgroup.
func blkioCgroupOf(pid int) (string, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return "", fmt.Errorf("cgroup of pid %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && strings.Contains(","+f[1]+",", ",blkio,") {
			return filepath.Join(blkioRoot, f[2]), nil
		}
	}
	return "", fmt.Errorf("pid %d has no blkio cgroup", pid)
}

// removeCgroupDir moves any process left in dir to the root cgroup and
// removes it.
func removeCgroupDir(dir string) {
	if raw, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
		for _, pid := range strings.Fields(string(raw)) {
			_ = os.WriteFile(filepath.Join(blkioRoot, "cgroup.procs"), []byte(pid), 0o644)
		}
	}
	_ = os.Remove(dir)
}

// leftoverCgroups names the run cgroups under blkio (for removeLeftovers).
func leftoverCgroups() []string {
	entries, _ := os.ReadDir(blkioRoot)
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "qv") {
			names = append(names, e.Name())
		}
	}
	return names
}

func removeCgroup(tag string) { removeCgroupDir(filepath.Join(blkioRoot, tag+"d")) }

func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
