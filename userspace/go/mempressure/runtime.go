// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"context"
	"math"
	"runtime/debug"
	"sync"
	"time"
)

// A Shrinker is a cache or pool that can give memory back: Shrink drops
// about wantBytes of what it holds (math.MaxUint64: everything it can
// spare), within ctx's deadline, and returns its own estimate of what it
// dropped.  The estimate is for the shrinker's logs only: the runtime
// handler reports what the runtime measured, never what shrinkers believe.
type Shrinker interface {
	Shrink(ctx context.Context, level Level, wantBytes uint64) (droppedBytes uint64)
}

// ShrinkerFunc lets a function be a Shrinker.
type ShrinkerFunc func(ctx context.Context, level Level, wantBytes uint64) uint64

// Shrink calls f.
func (f ShrinkerFunc) Shrink(ctx context.Context, level Level, wantBytes uint64) uint64 {
	return f(ctx, level, wantBytes)
}

// RuntimeHandler is a ready-made Handler that frees memory the Go way,
// doing only what fits before the trim's deadline (ctx's):
//
//  1. the shrinkers are asked for want_bytes (at level critical, for
//     everything they can spare), and, when the live heap is above
//     Trim.LiveGoalBytes, for that much more;
//  2. if one collection fits in the time left (judged by how long the
//     last one it ran took, for the heap's size then; the first one under
//     a deadline is not judged to fit), debug.FreeOSMemory:
//     one collection, then every free page returned to the kernel.  A
//     sync.Pool's items go at the second collection after their last use
//     (the first makes them victims), so one that was idle for a cycle
//     goes now.  If it does not fit, it starts as the handler returns, on
//     a goroutine of its own (one at a time): the reply is not held up,
//     and what the shrinkers dropped is returned all the same, a little
//     after the deadline.
//
// What it reports is measured: the fall of the memory the runtime holds
// from the kernel (runtime/metrics: /memory/classes/total:bytes less
// /memory/classes/heap/released:bytes) from before the first step to after
// the last, 0 if it rose.  That is the part of the process's RSS the Go
// runtime owns, which is what mempressured measures.
type RuntimeHandler struct {
	mu        sync.Mutex
	shrinkers []Shrinker
	// The last collection it ran: how long, over how large a heap.
	gcTook time.Duration
	gcHeap uint64
	late   bool // a collection runs after a trim's deadline
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
func (h *RuntimeHandler) Trim(ctx context.Context, t Trim) uint64 {
	before := readRuntimeMemory()
	h.mu.Lock()
	shrinkers := append([]Shrinker(nil), h.shrinkers...)
	h.mu.Unlock()
	want := t.WantBytes
	if t.Level >= LevelCritical {
		want = math.MaxUint64
	}
	if want != math.MaxUint64 && t.LiveGoalBytes > 0 {
		if l := liveHeap(before); l > t.LiveGoalBytes {
			want = satAdd(want, l-t.LiveGoalBytes)
		}
	}
	if want > 0 {
		for _, s := range shrinkers {
			if ctx.Err() != nil {
				break
			}
			s.Shrink(ctx, t.Level, want)
		}
	}
	if h.collectionFits(ctx, before.objects) {
		h.collect(before.objects)
	} else {
		h.mu.Lock()
		if !h.late {
			h.late = true
			go func() {
				h.collect(before.objects)
				h.mu.Lock()
				h.late = false
				h.mu.Unlock()
			}()
		}
		h.mu.Unlock()
	}
	return sub(before.resident(), readRuntimeMemory().resident())
}

// collect: one collection, every free page returned, and how long it took.
func (h *RuntimeHandler) collect(heap uint64) {
	start := time.Now()
	debug.FreeOSMemory()
	recordExactLive()
	h.mu.Lock()
	h.gcTook, h.gcHeap = time.Since(start), heap
	h.mu.Unlock()
}

// collectionFits: whether a collection of a heap of @heap bytes should end
// before ctx's deadline, judged by the last one this handler ran (a
// collection's work grows with the heap), with a quarter to spare.  With
// nothing to judge by, the first one runs after the reply: under the
// debug kernel (KASAN, in QEMU) bufcache's first trim took 509 ms with
// 442 ms left, and mempressured counted its reply as a timeout.
func (h *RuntimeHandler) collectionFits(ctx context.Context, heap uint64) bool {
	if ctx.Err() != nil {
		return false
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return true
	}
	h.mu.Lock()
	took, was := h.gcTook, h.gcHeap
	h.mu.Unlock()
	if took == 0 {
		return false
	}
	est := float64(took) * 1.25
	if was > 0 {
		est *= float64(heap) / float64(was)
	}
	return time.Until(deadline) > time.Duration(est)
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}
