// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
)

// The runtime/metrics this package reads (all in Go 1.19).
const (
	metricTotal    = "/memory/classes/total:bytes"
	metricReleased = "/memory/classes/heap/released:bytes"
	metricFree     = "/memory/classes/heap/free:bytes"
	metricObjects  = "/memory/classes/heap/objects:bytes"
	metricGoal     = "/gc/heap/goal:bytes"
	metricAllocs   = "/gc/heap/allocs:bytes"
	metricGCCycles = "/gc/cycles/total:gc-cycles"
)

var metricNames = []string{metricTotal, metricReleased, metricFree, metricObjects,
	metricGoal, metricAllocs, metricGCCycles}

// runtimeMemory is a reading of the runtime's memory.
type runtimeMemory struct {
	total, released, free, objects, goal, allocs, gcCycles uint64
}

func readRuntimeMemory() runtimeMemory {
	s := make([]metrics.Sample, len(metricNames))
	for i := range s {
		s[i].Name = metricNames[i]
	}
	metrics.Read(s)
	v := make([]uint64, len(s))
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = s[i].Value.Uint64()
		}
	}
	return runtimeMemory{total: v[0], released: v[1], free: v[2], objects: v[3],
		goal: v[4], allocs: v[5], gcCycles: v[6]}
}

// resident: what the runtime holds from the kernel (what GOMEMLIMIT bounds).
func (m runtimeMemory) resident() uint64 { return sub(m.total, m.released) }

// nonHeap: what the runtime holds besides heap objects and free heap pages
// (stacks, metadata, the unused ends of spans).
func (m runtimeMemory) nonHeap() uint64 { return sub(m.resident(), m.free+m.objects) }

// sub: a - b, 0 if b is larger.
func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// GCCycles is the number of completed GC cycles (runtime/metrics'
// /gc/cycles/total:gc-cycles), for services that report it.
func GCCycles() uint64 { return readRuntimeMemory().gcCycles }

// gcPercent is GOGC as the runtime read it at start (-1: off).  A later
// debug.SetGCPercent is not seen: reading it back would wait out a running
// collection.
var gcPercent = func() int {
	v := os.Getenv("GOGC")
	if v == "off" {
		return -1
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return 100
}()

// live is the package's view of the live heap.
var live struct {
	sync.Mutex
	// exact: heap objects right after a collection this package forced,
	// at GC cycle exactCycles.
	exact, exactCycles uint64
	// perCycle: bytes allocated per GC cycle, averaged over the last
	// cycles (the GC watch keeps it while a limiter needs it).
	perCycle uint64
}

// recordExactLive: a collection this package forced has just ended.
func recordExactLive() {
	m := readRuntimeMemory()
	live.Lock()
	live.exact, live.exactCycles = m.objects, m.gcCycles
	live.Unlock()
}

// liveHeap estimates the live heap as the GC sees it (what it marks,
// which decides what a cycle costs), without forcing a collection:
//   - right after a collection this package forced, it was measured;
//   - when GOGC sets the heap goal, the goal is live × (1 + GOGC/100);
//   - when the memory limit sets it, each cycle lets the heap grow from
//     live to about the goal, so live is the goal less what a cycle
//     allocates.
//
// The last two overstate it a little (stacks and globals count toward
// the goal, and a cycle is triggered before the goal): the safe side for
// a floor.
func liveHeap(m runtimeMemory) uint64 {
	live.Lock()
	exact, exactCycles, perCycle := live.exact, live.exactCycles, live.perCycle
	live.Unlock()
	if exactCycles != 0 && exactCycles == m.gcCycles {
		return exact
	}
	if m.gcCycles == 0 {
		return m.objects // no collection yet: all of it may be live
	}
	limit := debug.SetMemoryLimit(-1)
	limitGoal := uint64(math.MaxUint64)
	if limit != math.MaxInt64 {
		limitGoal = sub(uint64(limit), m.nonHeap())
	}
	if gcPercent > 0 && m.goal < limitGoal/10*9 {
		return m.goal / uint64(100+gcPercent) * 100
	}
	if perCycle > 0 && perCycle < m.goal {
		return m.goal - perCycle
	}
	return m.objects
}

// The GC watch: a finalizer that runs once per GC cycle while a limiter is
// registered, keeps live.perCycle and tells each limiter, so that one whose
// floor no longer holds (the live heap grew) can act before the
// collections run back to back.
var gcWatch struct {
	sync.Mutex
	limiters       map[*limiter]struct{}
	armed          bool
	allocs, cycles uint64
}

type gcSentinel struct{ _ [2]*byte } // pointers: not the tiny allocator's

func gcWatchAdd(l *limiter) {
	gcWatch.Lock()
	defer gcWatch.Unlock()
	if gcWatch.limiters == nil {
		gcWatch.limiters = make(map[*limiter]struct{})
	}
	gcWatch.limiters[l] = struct{}{}
	if !gcWatch.armed {
		gcWatch.armed = true
		armGCWatch()
	}
}

func gcWatchRemove(l *limiter) {
	gcWatch.Lock()
	delete(gcWatch.limiters, l)
	gcWatch.Unlock()
}

func armGCWatch() { runtime.SetFinalizer(&gcSentinel{}, onGC) }

func onGC(*gcSentinel) {
	m := readRuntimeMemory()
	gcWatch.Lock()
	if len(gcWatch.limiters) == 0 {
		gcWatch.armed = false
		gcWatch.Unlock()
		return
	}
	var per uint64
	if gcWatch.cycles != 0 && m.gcCycles > gcWatch.cycles {
		per = (m.allocs - gcWatch.allocs) / (m.gcCycles - gcWatch.cycles)
	}
	gcWatch.allocs, gcWatch.cycles = m.allocs, m.gcCycles
	ls := make([]*limiter, 0, len(gcWatch.limiters))
	for l := range gcWatch.limiters {
		ls = append(ls, l)
	}
	gcWatch.Unlock()
	if per > 0 {
		live.Lock()
		if live.perCycle == 0 {
			live.perCycle = per
		} else {
			live.perCycle = (3*live.perCycle + per) / 4
		}
		per = live.perCycle
		live.Unlock()
		for _, l := range ls {
			l.onGC(per)
		}
	}
	armGCWatch()
}
