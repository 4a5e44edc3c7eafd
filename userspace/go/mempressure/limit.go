// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"math"
	"runtime"
	"runtime/debug"
)

// MemoryLimit makes the client keep the Go runtime's memory limit
// (GOMEMLIMIT, debug.SetMemoryLimit) at the cgroup's soft limit less a
// headroom, moving it whenever mempressured reports a new soft limit: in
// its welcome and in level messages.  The rule (docs/go.md):
//
//	limit = max(soft - headroom, floor)      capped by GOMEMLIMIT if set
//	floor = max(MinBytes, min(soft, 5/4 of what the runtime holds live))
//
// The headroom is for what the cgroup holds outside the Go runtime: the
// binary's pages, page cache, cgo allocations, other processes.
//
// The floor keeps a service from spending its time in the GC.  With a
// limit L and live memory H the GC can let the heap grow by only L - H
// between cycles, so its work per allocated byte grows as H / (L - H); at
// L = 5/4 H that is four times the work of the default GOGC=100 (L = 2 H),
// and below it the collector runs nearly back to back.  So a soft limit
// that falls below what the service truly needs does not drive the
// runtime into a GC storm: the limit stops at the floor, the cgroup stays
// over its soft limit, and freeing memory is left to the trims (the
// handler's shrinkers) and to mempressured's escalation.  The floor never
// lifts the limit above the soft limit itself: a service whose live memory
// is that close to it needs memory freed, not a later collection, and the
// runtime's own limiter (the GC takes at most about half the CPU) is the
// last guard against thrashing there.  Live memory is measured only when it
// matters: when soft - headroom is below 5/4 of the memory in use now, the
// client runs one GC (the new limit would start one anyway) and reads what
// is left.
//
// A trim tells how much the cgroup holds outside the runtime: mempressured
// asks for want_bytes when the cgroup is that much over its soft limit less
// the margin (soft_margin_pct, 5 % by default), so the rest of the cgroup
// is about soft * 95/100 + want - what the runtime holds.  Until the soft
// limit moves, the headroom is at least that (raised by at most half the
// soft limit): a cgroup that holds more than assumed outside the Go heap
// would otherwise be pushed over its soft limit by a runtime keeping to
// its own.  The limit a trim leads to goes to the handler
// (Trim.MemoryLimitBytes): what stays live must fit in 4/5 of it.
type MemoryLimit struct {
	// HeadroomBytes is subtracted from the soft limit.  0: HeadroomPercent.
	HeadroomBytes uint64
	// HeadroomPercent of the soft limit, when HeadroomBytes is 0.  0: 10.
	HeadroomPercent int
	// MinBytes is the lowest limit ever set.  0: 16 MiB.
	MinBytes uint64
	// OnChange, if set, is called after every change of the limit, on the
	// client's goroutine.
	OnChange func(LimitChange)
}

// LimitChange says what the limit was set to, and from what.
type LimitChange struct {
	SoftLimitBytes uint64 // the cgroup's soft limit, as mempressured said
	LimitBytes     int64  // what debug.SetMemoryLimit was given
	FloorBytes     uint64 // the floor at the time (MinBytes if live memory was not measured)
	TrimBytes      uint64 // headroom added by trims since the soft limit last moved
}

const (
	defaultHeadroomPercent = 10
	defaultMinLimitBytes   = 16 << 20
)

// limiter applies a MemoryLimit.  Used by the client's goroutine only.
type limiter struct {
	opts    MemoryLimit
	initial int64 // the limit before the client touched it
	ceiling int64 // GOMEMLIMIT from the environment, or MaxInt64
	last    LimitChange
	set     bool
	extra   uint64 // headroom learned from trims, for the current soft limit
}

// trimMarginPercent: soft_margin_pct's default (docs/signals.md).
const trimMarginPercent = 5

func newLimiter(opts MemoryLimit) *limiter {
	cur := debug.SetMemoryLimit(-1)
	return &limiter{opts: opts, initial: cur, ceiling: cur}
}

func (l *limiter) headroom(soft uint64) uint64 {
	h := l.opts.HeadroomBytes
	if h == 0 {
		pct := l.opts.HeadroomPercent
		if pct <= 0 {
			pct = defaultHeadroomPercent
		}
		if soft > math.MaxUint64/100 {
			h = soft / 100 * uint64(pct)
		} else {
			h = soft * uint64(pct) / 100
		}
	}
	return h + l.extra
}

// compute returns the limit for @soft with @inUse bytes in use now;
// @live measures live memory (after a GC) when the floor needs it.
func (l *limiter) compute(soft, inUse uint64, live func() uint64) LimitChange {
	floor := l.opts.MinBytes
	if floor == 0 {
		floor = defaultMinLimitBytes
	}
	want := uint64(0)
	if h := l.headroom(soft); soft > h {
		want = soft - h
	}
	if l.ceiling > 0 && uint64(l.ceiling) < want {
		want = uint64(l.ceiling)
	}
	if want < inUse/4*5 {
		f := live() / 4 * 5
		if f > soft {
			f = soft
		}
		if f > floor {
			floor = f
		}
	}
	if want < floor {
		want = floor
	}
	if want > math.MaxInt64 {
		want = math.MaxInt64
	}
	return LimitChange{SoftLimitBytes: soft, LimitBytes: int64(want), FloorBytes: floor,
		TrimBytes: l.extra}
}

// update moves the limit for a newly reported soft limit.
func (l *limiter) update(soft uint64) {
	if soft == 0 {
		return
	}
	if l.set && soft != l.last.SoftLimitBytes {
		l.extra = 0
	}
	ch := l.compute(soft, readRuntimeMemory().inUse(), func() uint64 {
		runtime.GC()
		return readRuntimeMemory().inUse()
	})
	debug.SetMemoryLimit(ch.LimitBytes)
	if l.set && ch == l.last {
		return
	}
	l.last, l.set = ch, true
	if l.opts.OnChange != nil {
		l.opts.OnChange(ch)
	}
}

// planTrim learns from a trim asking for @want bytes while the runtime
// holds @resident (see MemoryLimit) and returns the limit it leads to, 0
// if there is none yet.
func (l *limiter) planTrim(want, resident uint64) int64 {
	if !l.set {
		return 0
	}
	soft := l.last.SoftLimitBytes
	outside := soft/100*(100-trimMarginPercent) + want
	if outside > resident {
		outside -= resident
	} else {
		outside = 0
	}
	l.extra = 0
	if base := l.headroom(soft); outside > base {
		l.extra = outside - base
	}
	if l.extra > soft/2 {
		l.extra = soft / 2
	}
	return l.compute(soft, 0, nil).LimitBytes
}

// restore puts back the limit the process had before the client.
func (l *limiter) restore() {
	if l.set {
		debug.SetMemoryLimit(l.initial)
	}
}
