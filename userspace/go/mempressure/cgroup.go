// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupFS reads the process's own cgroup (cgroup v2): its limits and what
// it holds.  Every read finds the cgroup again, so a process moved to
// another cgroup is followed.
type cgroupFS struct {
	root string // where cgroup2 is mounted
	self string // /proc/self/cgroup
}

func newCgroupFS(root, self string) *cgroupFS {
	if root == "" {
		root = cgroup2Mount()
	}
	return &cgroupFS{root: root, self: self}
}

// cgroup2Mount: the first cgroup2 mount of /proc/self/mountinfo, else the
// usual place.
func cgroup2Mount() string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPER
			pre, post, ok := strings.Cut(line, " - ")
			f, g := strings.Fields(pre), strings.Fields(post)
			if ok && len(f) >= 5 && len(g) >= 1 && g[0] == "cgroup2" {
				return unescapeMountinfo(f[4])
			}
		}
	}
	return "/sys/fs/cgroup"
}

// unescapeMountinfo undoes mountinfo's \ooo escapes.
func unescapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && isOctal3(s[i+1:]) {
			n, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var errNoCgroup = errors.New("no cgroup v2 of this process under the cgroup root")

// dir is the process's cgroup directory: root + the "0::PATH" line of
// /proc/self/cgroup.
func (c *cgroupFS) dir() (string, error) {
	b, err := os.ReadFile(c.self)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "0::") {
			p := line[3:]
			// Outside our cgroup namespace ("/../x"): not ours to read.
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "/..") {
				return "", errNoCgroup
			}
			d := filepath.Join(c.root, p)
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				return "", errNoCgroup
			}
			return d, nil
		}
	}
	return "", errNoCgroup
}

// limits: the lowest memory.high and memory.max of the cgroup and its
// ancestors up to the root; 0 for none.
func (c *cgroupFS) limits() (high, max uint64, err error) {
	d, err := c.dir()
	if err != nil {
		return 0, 0, err
	}
	lowest := func(v, was uint64) uint64 {
		if was == 0 || v < was {
			return v
		}
		return was
	}
	for {
		if v, ok := readLimitFile(filepath.Join(d, "memory.high")); ok {
			high = lowest(v, high)
		}
		if v, ok := readLimitFile(filepath.Join(d, "memory.max")); ok {
			max = lowest(v, max)
		}
		if d == c.root || len(d) <= len(c.root) {
			break
		}
		d = filepath.Dir(d)
	}
	return high, max, nil
}

// readLimitFile: a memory.max-style file; "max" and a missing file (the
// root has none) are no limit.
func readLimitFile(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
	return v, err == nil
}

// usage: what the cgroup holds (memory.current) less what @runtime says
// the Go runtime holds, read right after it; and the page cache, what the
// kernel can reclaim without swap (memory.stat's file less shmem, which is
// counted in file but is not reclaimable without swap).
func (c *cgroupFS) usage(runtime func() runtimeMemory) (current, pageCache uint64, err error) {
	d, err := c.dir()
	if err != nil {
		return 0, 0, err
	}
	current, ok := readLimitFile(filepath.Join(d, "memory.current"))
	if !ok {
		return 0, 0, errNoCgroup
	}
	current = sub(current, runtime().resident())
	f, err := os.Open(filepath.Join(d, "memory.stat"))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var file, shmem uint64
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, _ := strings.Cut(s.Text(), " ")
		switch k {
		case "file":
			file, _ = strconv.ParseUint(v, 10, 64)
		case "shmem":
			shmem, _ = strconv.ParseUint(v, 10, 64)
		}
	}
	if file > shmem {
		pageCache = file - shmem
	}
	return current, pageCache, s.Err()
}
