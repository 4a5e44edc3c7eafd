// SPDX-License-Identifier: GPL-2.0

// goleak: the Go workloads of the leak corpus (bench/leaks/README.md), the
// memory patterns of Go services, leaks and not leaks:
//
//	goleak mapcache   -rate R [-t S]  a map cache that is never evicted
//	goleak goroutines -rate R [-t S]  goroutines that never return, each holding a buffer
//	goleak gcrise     -rate R [-t S]  a GC sawtooth whose floor (what survives) grows
//	goleak gcflat                     a big heap at GOGC=400: a sawtooth on a flat floor
//	goleak pool                       a sync.Pool of bytes.Buffers grown by large requests
//
// Each serves requests that make garbage at -garbage bytes per second, paced
// by the clock so that its rates hold on a slow emulated CPU, and prints
// "mark PID WHAT [VALUE]" lines for the corpus runner as leakload does:
// onset when the leak starts, stop when it ends (after -t seconds).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

const tick = 50 * time.Millisecond

func mark(what string, value int64) {
	if value >= 0 {
		fmt.Printf("mark %d %s %d\n", os.Getpid(), what, value)
	} else {
		fmt.Printf("mark %d %s\n", os.Getpid(), what)
	}
}

// fill writes every page of b, so that it is resident.
func fill(b []byte, v byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = v
	}
}

// sink keeps the compiler from dropping a request's work.
var sink byte

// request makes n bytes of garbage, as a handler's buffers are.
func request(n int) {
	b := make([]byte, n)
	fill(b, 1)
	sink += b[len(b)-1]
}

// paced runs step(elapsed) every tick, with what the clock says is due.
func paced(step func(elapsed time.Duration)) {
	start := time.Now()
	t := time.NewTicker(tick)
	defer t.Stop()
	for range t.C {
		step(time.Since(start))
	}
}

// garbage makes the requests due since the last call: n bytes a second
// in requests of reqBytes.
type garbage struct {
	rate, reqBytes, done int64
}

func (g *garbage) step(elapsed time.Duration) {
	due := int64(elapsed.Seconds()*float64(g.rate)) / g.reqBytes
	for ; g.done < due; g.done++ {
		request(int(g.reqBytes))
	}
}

// leak is retained growth at rate bytes a second, in pieces of unit bytes,
// for limit seconds (0: for ever); add retains one piece.
type leak struct {
	rate, unit, held int64
	limit            float64
	stopped          bool
	add              func()
}

func (l *leak) step(elapsed time.Duration) {
	if l.stopped {
		return
	}
	if l.limit > 0 && elapsed.Seconds() >= l.limit {
		l.stopped = true
		mark("stop", l.held)
		return
	}
	due := int64(elapsed.Seconds() * float64(l.rate))
	for l.held+l.unit <= due {
		l.add()
		l.held += l.unit
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: goleak mapcache|goroutines|gcrise|gcflat|pool [flags]")
		os.Exit(2)
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	rate := fs.Int64("rate", 256<<10, "bytes per second retained (the leak)")
	seconds := fs.Float64("t", 0, "seconds of leaking, 0: for ever")
	garbageRate := fs.Int64("garbage", 4<<20, "bytes per second of request garbage")
	live := fs.Int64("live", 16<<20, "bytes of live heap (gcrise, gcflat)")
	fs.Parse(os.Args[2:])

	g := &garbage{rate: *garbageRate, reqBytes: 32 << 10}
	switch mode {
	case "mapcache":
		// Every request's result is cached under a new key; nothing is
		// ever evicted.
		cache := map[uint64][]byte{}
		var key uint64
		l := &leak{rate: *rate, unit: 4 << 10, limit: *seconds, add: func() {
			v := make([]byte, 4<<10)
			fill(v, 2)
			key++
			cache[key] = v
		}}
		mark("onset", -1)
		paced(func(e time.Duration) { g.step(e); l.step(e) })
	case "goroutines":
		// Each request starts a goroutine that waits for a reply that
		// never comes, holding its 64 KiB buffer.
		never := make(chan struct{})
		l := &leak{rate: *rate, unit: 64 << 10, limit: *seconds, add: func() {
			go func() {
				buf := make([]byte, 64<<10)
				fill(buf, 3)
				<-never
				runtime.KeepAlive(buf)
			}()
		}}
		mark("onset", -1)
		paced(func(e time.Duration) { g.step(e); l.step(e) })
	case "gcrise", "gcflat":
		// A live heap of sessions, replaced as they expire, under
		// request garbage: the heap's sawtooth.  gcrise also keeps a
		// little of every request for ever (its floor rises); gcflat
		// runs a big heap at GOGC=400 and keeps nothing.
		if mode == "gcflat" {
			debug.SetGCPercent(400)
		}
		sessions := make([][]byte, *live/(64<<10))
		for i := range sessions {
			sessions[i] = make([]byte, 64<<10)
			fill(sessions[i], 4)
		}
		next := 0
		var kept [][]byte
		l := &leak{rate: *rate, unit: 4 << 10, limit: *seconds, add: func() {
			v := make([]byte, 4<<10)
			fill(v, 5)
			kept = append(kept, v)
		}}
		if mode == "gcrise" {
			mark("onset", -1)
		}
		paced(func(e time.Duration) {
			g.step(e)
			// A session expires every tick: the live heap turns over.
			s := make([]byte, 64<<10)
			fill(s, 6)
			sessions[next] = s
			next = (next + 1) % len(sessions)
			if mode == "gcrise" {
				l.step(e)
			}
		})
	case "pool":
		// Sixteen handlers build responses in pooled buffers and hold
		// each while it is sent; one response in 16 is large, and the
		// pool keeps the buffer it grew.
		pool := sync.Pool{New: func() interface{} { return new(bytes.Buffer) }}
		chunk := make([]byte, 4096)
		for w := 0; w < 16; w++ {
			go func(w int) {
				var n int64
				paced(func(e time.Duration) {
					due := int64(e.Seconds() * 100 / 16)
					for ; n < due; n++ {
						b := pool.Get().(*bytes.Buffer)
						b.Reset()
						size := 16 << 10
						if (n+int64(w))%16 == 0 {
							size = 4 << 20
						}
						for b.Len() < size {
							b.Write(chunk)
						}
						time.Sleep(20 * time.Millisecond)
						pool.Put(b)
					}
				})
			}(w)
		}
		paced(g.step)
	default:
		fmt.Fprintf(os.Stderr, "goleak: unknown workload %q\n", mode)
		os.Exit(2)
	}
}
