// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// A Shrinker is a cache or pool that can give memory back: Shrink drops
// about wantBytes of what it holds (math.MaxUint64: everything it can
// spare) and returns its own estimate of what it dropped.  The estimate is
// for the shrinker's logs only: the runtime handler reports what the
// runtime measured, never what shrinkers believe.
type Shrinker interface {
	Shrink(level Level, wantBytes uint64) (droppedBytes uint64)
}

// ShrinkerFunc lets a function be a Shrinker.
type ShrinkerFunc func(level Level, wantBytes uint64) uint64

// Shrink calls f.
func (f ShrinkerFunc) Shrink(level Level, wantBytes uint64) uint64 { return f(level, wantBytes) }

// RuntimeHandler is a ready-made Handler that frees memory the Go way,
// more of it as the level rises:
//
//	low       the shrinkers are asked for want_bytes, then runtime.GC()
//	medium    the shrinkers are asked for want_bytes, runtime.GC() (a
//	          sync.Pool keeps its items one cycle longer, as victims),
//	          then debug.FreeOSMemory(), which collects again and returns
//	          every free page to the kernel
//	critical  as medium, but the shrinkers are asked for everything they
//	          can spare
//
// When the client manages the memory limit (Trim.MemoryLimitBytes), the
// shrinkers are asked, after the first collection, for what more must go
// for the live memory to fit in 4/5 of that limit.
//
// What it reports is measured: the fall of the memory the runtime holds
// from the kernel (runtime/metrics: /memory/classes/total:bytes less
// /memory/classes/heap/released:bytes) from before the first step to after
// the last, 0 if it rose.  That is the part of the process's RSS the Go
// runtime owns, which is what mempressured measures at the deadline.
type RuntimeHandler struct {
	mu        sync.Mutex
	shrinkers []Shrinker
}

// NewRuntimeHandler returns a RuntimeHandler with these shrinkers.
func NewRuntimeHandler(shrinkers ...Shrinker) *RuntimeHandler {
	return &RuntimeHandler{shrinkers: shrinkers}
}

// Register adds a shrinker; it is asked at every trim from now on.
func (h *RuntimeHandler) Register(s Shrinker) {
	h.mu.Lock()
	h.shrinkers = append(h.shrinkers, s)
	h.mu.Unlock()
}

// Trim frees memory for t and returns the bytes the runtime gave back.
func (h *RuntimeHandler) Trim(t Trim) uint64 {
	before := readRuntimeMemory()
	want := t.WantBytes
	if t.Level >= LevelCritical {
		want = math.MaxUint64
	}
	h.mu.Lock()
	shrinkers := append([]Shrinker(nil), h.shrinkers...)
	h.mu.Unlock()
	if want > 0 {
		for _, s := range shrinkers {
			s.Shrink(t.Level, want)
		}
	}
	runtime.GC()
	if fit := uint64(t.MemoryLimitBytes) / 5 * 4; want != math.MaxUint64 && fit > 0 {
		if live := readRuntimeMemory().inUse(); live > fit {
			for _, s := range shrinkers {
				s.Shrink(t.Level, live-fit)
			}
		}
	}
	if t.Level >= LevelMedium {
		debug.FreeOSMemory()
	}
	after := readRuntimeMemory()
	if after.resident() >= before.resident() {
		return 0
	}
	return before.resident() - after.resident()
}

// The runtime/metrics this package reads (all in Go 1.19).
const (
	metricTotal    = "/memory/classes/total:bytes"
	metricReleased = "/memory/classes/heap/released:bytes"
	metricFree     = "/memory/classes/heap/free:bytes"
	metricGCCycles = "/gc/cycles/total:gc-cycles"
)

// runtimeMemory is a reading of the runtime's memory classes.
type runtimeMemory struct {
	total, released, free, gcCycles uint64
}

// resident: what the runtime holds from the kernel (GOMEMLIMIT's measure).
func (m runtimeMemory) resident() uint64 { return m.total - m.released }

// inUse: resident less the free heap pages it has not returned yet.
func (m runtimeMemory) inUse() uint64 { return m.total - m.released - m.free }

func readRuntimeMemory() runtimeMemory {
	s := []metrics.Sample{{Name: metricTotal}, {Name: metricReleased},
		{Name: metricFree}, {Name: metricGCCycles}}
	metrics.Read(s)
	v := make([]uint64, len(s))
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = s[i].Value.Uint64()
		}
	}
	return runtimeMemory{total: v[0], released: v[1], free: v[2], gcCycles: v[3]}
}

// GCCycles is the number of completed GC cycles (runtime/metrics'
// /gc/cycles/total:gc-cycles), for services that report it.
func GCCycles() uint64 { return readRuntimeMemory().gcCycles }
