// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// LimitChange is what the client computed for the memory limit, and from
// what (docs/go.md):
//
//	target  = min(cgroup limit, soft limit) - headroom
//	floor   = live heap + live heap/10 + MinGCRoomBytes + the runtime's other memory
//	ceiling = memory.max - max(what is outside the runtime, 2 %)
//	limit   = max(target, floor), at most ceiling
type LimitChange struct {
	// SoftLimitBytes is mempressured's soft limit for the cgroup; 0: not
	// known (no daemon).
	SoftLimitBytes uint64
	// CgroupLimitBytes is the lowest memory.high or memory.max of the
	// cgroup and its ancestors; 0: none, or no cgroup v2.
	CgroupLimitBytes uint64
	// HeadroomBytes is kept for memory outside the Go runtime: the larger
	// of (100 - Percent) % of the lower limit and what the cgroup was
	// measured to hold outside the runtime, less its page cache (the
	// measure decays with a half-life of a minute).
	HeadroomBytes uint64
	// TargetBytes is the lower limit less the headroom.
	TargetBytes int64
	// LiveBytes is the live heap, as the GC sees it.
	LiveBytes uint64
	// FloorBytes is the least limit that keeps the GC's cost bounded.
	FloorBytes uint64
	// CeilingBytes is the most the limit may be: past memory.max, less
	// what the cgroup holds outside the runtime, the kernel's OOM killer
	// acts before the collector would; 0: no memory.max.
	CeilingBytes uint64
	// LimitBytes is what the client sets: the larger of target and floor,
	// at most the ceiling (and never above a limit set by someone else,
	// see docs/go.md).
	LimitBytes int64
	// UnmetBytes is how far the floor is above the target: what the
	// service holds live beyond what its limits allow.  The client cannot
	// free it; it says so (log, State, the trimmed reply's unmet_bytes)
	// and leaves it to the service's shrinkers and to mempressured.
	UnmetBytes uint64
}

// outsideHalfLife: how fast the headroom learned from a measure decays.
const outsideHalfLife = time.Minute

// limiter keeps one client's memory limit.  evaluate is called by the
// client's goroutine only; onGC by the GC watch.
type limiter struct {
	opts MemoryLimit
	cg   *cgroupFS
	logf func(format string, args ...interface{})
	wake func() // asks the client's goroutine to evaluate again

	soft       uint64 // mempressured's soft limit; 0: not known
	outside    uint64 // learned headroom
	outsideAt  time.Time
	last       LimitChange
	registered bool
	cgLogged   bool
	othersSeen bool

	room     uint64 // atomic: live/10 + MinGCRoomBytes at the last evaluation
	lastWake int64  // atomic: UnixNano of the last wake
}

func newLimiter(opts MemoryLimit, cg *cgroupFS, logf func(string, ...interface{}), wake func()) *limiter {
	return &limiter{opts: opts, cg: cg, logf: logf, wake: wake}
}

// evaluate reads the cgroup and the runtime and moves the limit; it
// returns what it computed and whether the limit moved.
func (l *limiter) evaluate() (LimitChange, bool) {
	now := time.Now()
	m := readRuntimeMemory()
	var ch LimitChange
	ch.SoftLimitBytes = l.soft
	high, max, err := l.cg.limits()
	if err != nil && !l.cgLogged {
		l.cgLogged = true
		l.logf("mempressure: no cgroup v2 limits to follow (%v): GOMEMLIMIT follows mempressured's soft limit only", err)
	}
	cgLimit := high
	if max != 0 && (cgLimit == 0 || max < cgLimit) {
		cgLimit = max
	}
	ch.CgroupLimitBytes = cgLimit
	l.learnOutside(now)
	if max != 0 {
		margin := max / 50
		if l.outside > margin {
			margin = l.outside
		}
		ch.CeilingBytes = sub(max, margin)
	}

	base := cgLimit
	if l.soft != 0 && (base == 0 || l.soft < base) {
		base = l.soft
	}
	if base == 0 {
		// Nothing to follow: leave the limit as others set it.
		l.release()
		changed := l.last != ch
		l.last = ch
		return ch, changed
	}
	ch.HeadroomBytes = base - base/100*uint64(l.opts.Percent)
	if l.outside > ch.HeadroomBytes {
		ch.HeadroomBytes = l.outside
	}
	ch.TargetBytes = clampInt64(sub(base, ch.HeadroomBytes))
	ch.LiveBytes = liveHeap(m)
	room := ch.LiveBytes/10 + l.opts.MinGCRoomBytes
	atomic.StoreUint64(&l.room, room)
	ch.FloorBytes = m.nonHeap() + ch.LiveBytes + room
	ch.LimitBytes = ch.TargetBytes
	if uint64(ch.TargetBytes) < ch.FloorBytes {
		ch.LimitBytes = clampInt64(ch.FloorBytes)
		ch.UnmetBytes = ch.FloorBytes - uint64(ch.TargetBytes)
	}
	if ch.CeilingBytes != 0 && uint64(ch.LimitBytes) > ch.CeilingBytes {
		ch.LimitBytes = clampInt64(ch.CeilingBytes)
	}
	if !l.registered {
		l.registered = true
		gcWatchAdd(l)
	}
	if applyLimit(l, ch.LimitBytes) && !l.othersSeen {
		l.othersSeen = true
		l.logf("mempressure: GOMEMLIMIT was set to %d outside this package: the client keeps to it as a ceiling",
			debug.SetMemoryLimit(-1))
	}
	l.logUnmet(ch)
	changed := ch.LimitBytes != l.last.LimitBytes || ch.SoftLimitBytes != l.last.SoftLimitBytes ||
		ch.CgroupLimitBytes != l.last.CgroupLimitBytes
	l.last = ch
	return ch, changed
}

// learnOutside: what the cgroup holds that is neither the Go runtime's nor
// page cache (which the kernel reclaims itself): other processes, cgo,
// the kernel's memory for the cgroup.  A rise counts at once, a fall
// decays.  The runtime is read right after memory.current: what it
// allocates meanwhile makes the measure smaller, not larger.
func (l *limiter) learnOutside(now time.Time) {
	cur, cache, err := l.cg.usage(readRuntimeMemory)
	if err != nil {
		return
	}
	measured := sub(cur, cache)
	if !l.outsideAt.IsZero() {
		halves := float64(now.Sub(l.outsideAt)) / float64(outsideHalfLife)
		l.outside = uint64(float64(l.outside) * math.Exp2(-halves))
	}
	if measured > l.outside {
		l.outside = measured
	}
	l.outsideAt = now
}

func (l *limiter) logUnmet(ch LimitChange) {
	was := l.last.UnmetBytes > 0
	switch {
	case ch.UnmetBytes > 0 && !was:
		l.logf("mempressure: the memory limits (soft %s, cgroup %s) cannot be kept: the Go heap holds %d bytes live; GOMEMLIMIT stays at %d, %d above the %d they allow, so that the GC does not run back to back; mempressured is told (unmet_bytes)",
			orNone(ch.SoftLimitBytes), orNone(ch.CgroupLimitBytes), ch.LiveBytes,
			ch.LimitBytes, ch.UnmetBytes, ch.TargetBytes)
	case ch.UnmetBytes == 0 && was:
		l.logf("mempressure: within the memory limits again: GOMEMLIMIT %d", ch.LimitBytes)
	}
}

func orNone(v uint64) string {
	if v == 0 {
		return "none"
	}
	return u64s(v)
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// liveGoal: what the live heap should shrink to for the target to hold
// without the floor lifting it; 0 when there is no target.
func (l *limiter) liveGoal() uint64 {
	ch := l.last
	if ch.TargetBytes <= 0 {
		return 0
	}
	m := readRuntimeMemory()
	t := sub(uint64(ch.TargetBytes), m.nonHeap()+l.opts.MinGCRoomBytes)
	return t / 11 * 10
}

// onGC: the GC watch saw a cycle, with perCycle bytes allocated per cycle
// lately.  When that is below half the room the last evaluation allowed,
// the live heap has grown toward the limit: evaluate again (at most once
// a second).
func (l *limiter) onGC(perCycle uint64) {
	room := atomic.LoadUint64(&l.room)
	if room == 0 || perCycle >= room/2 {
		return
	}
	now := time.Now().UnixNano()
	last := atomic.LoadInt64(&l.lastWake)
	if now-last < int64(time.Second) || !atomic.CompareAndSwapInt64(&l.lastWake, last, now) {
		return
	}
	l.wake()
}

// release gives the limit back (see applyLimit).
func (l *limiter) release() {
	if l.registered {
		l.registered = false
		gcWatchRemove(l)
		releaseLimit(l)
	}
}

// The process has one memory limit and may have several clients: each
// says what it wants, the lowest is set, and a limit set by anyone else
// (GOMEMLIMIT, debug.SetMemoryLimit, before the first client or since)
// caps it and is put back when the last client is done.
var memLimit struct {
	sync.Mutex
	wants  map[*limiter]int64
	others int64 // the limit others set
	set    int64 // what this package set last; 0: nothing
}

// applyLimit records l's wish and sets the process's limit; true if
// someone else had moved the limit since this package last set it.
func applyLimit(l *limiter, want int64) bool {
	memLimit.Lock()
	defer memLimit.Unlock()
	cur := debug.SetMemoryLimit(-1)
	moved := false
	if memLimit.set == 0 {
		memLimit.others = cur
	} else if cur != memLimit.set {
		memLimit.others, moved = cur, true
	}
	if memLimit.wants == nil {
		memLimit.wants = make(map[*limiter]int64)
	}
	memLimit.wants[l] = want
	setLowestLocked()
	return moved
}

// releaseLimit forgets l's wish; the last one out puts back the limit
// others set, unless someone else has moved it since.
func releaseLimit(l *limiter) {
	memLimit.Lock()
	defer memLimit.Unlock()
	if _, ok := memLimit.wants[l]; !ok {
		return
	}
	delete(memLimit.wants, l)
	cur := debug.SetMemoryLimit(-1)
	if cur != memLimit.set {
		memLimit.others = cur
	}
	if len(memLimit.wants) == 0 {
		debug.SetMemoryLimit(memLimit.others)
		memLimit.set = 0
		return
	}
	setLowestLocked()
}

func setLowestLocked() {
	lowest := memLimit.others
	for _, w := range memLimit.wants {
		if w < lowest {
			lowest = w
		}
	}
	debug.SetMemoryLimit(lowest)
	memLimit.set = lowest
}
