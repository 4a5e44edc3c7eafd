// SPDX-License-Identifier: BSD-2-Clause

// bufcache is a service with the memory habits that make Go services
// creep toward their cgroup's limit: a sync.Pool of *bytes.Buffer whose
// buffers grow large (a request now and then is big, and the pool keeps
// the grown buffer), and a map cache that only grows.  It serves a steady
// load until -duration is up or -requests are served, printing one line
// per second (stats), per trim, per level message and per change of its
// memory limit, and a last line (done) when it ends there or on SIGTERM.
//
// With the client (the default) its cache is a Shrinker of the runtime
// handler and its GOMEMLIMIT follows the cgroup's soft limit; -no-client
// runs it alone, -handler=none subscribes without a handler.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mempressure/go/mempressure"
)

// cache is a map that only grows, unless asked to shrink: oldest first.
type cache struct {
	mu      sync.Mutex
	entries map[uint64][]byte
	order   []uint64 // keys, oldest first
	bytes   uint64
	max     uint64 // 0: no bound
	evicted uint64
}

func (c *cache) put(key uint64, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = v
	c.order = append(c.order, key)
	c.bytes += uint64(len(v))
	for c.max > 0 && c.bytes > c.max {
		c.dropOldest()
	}
}

func (c *cache) dropOldest() uint64 {
	k := c.order[0]
	c.order = c.order[1:]
	n := uint64(len(c.entries[k]))
	delete(c.entries, k)
	c.bytes -= n
	return n
}

// Shrink drops the oldest entries until wantBytes are gone; asked for
// everything it can spare, it keeps the newest quarter.
func (c *cache) Shrink(level mempressure.Level, wantBytes uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if wantBytes == math.MaxUint64 {
		wantBytes = c.bytes / 4 * 3
	}
	var dropped uint64
	for dropped < wantBytes && len(c.order) > 0 {
		dropped += c.dropOldest()
	}
	c.evicted += dropped
	// The emptied map and key slice keep their size: start them afresh.
	if dropped > 0 {
		m := make(map[uint64][]byte, len(c.entries))
		for k, v := range c.entries {
			m[k] = v
		}
		c.entries = m
		c.order = append([]uint64(nil), c.order...)
	}
	return dropped
}

func (c *cache) stats() (bytes, entries, evicted uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes, uint64(len(c.entries)), c.evicted
}

var pool = sync.Pool{New: func() interface{} { return new(bytes.Buffer) }}

// serve is one request: a pooled buffer filled with a response (a large
// one now and then), a part of it kept in the cache.
func serve(c *cache, key uint64, entry, big int, rng *rand.Rand) {
	b := pool.Get().(*bytes.Buffer)
	b.Reset()
	n := entry
	if rng.Intn(16) == 0 {
		n += big
	}
	chunk := make([]byte, 4096)
	for b.Len() < n {
		rng.Read(chunk[:64])
		b.Write(chunk)
	}
	kept := make([]byte, entry)
	copy(kept, b.Bytes())
	c.put(key, kept)
	pool.Put(b)
}

func parseSize(s string) (uint64, error) {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	v, err := strconv.ParseUint(strings.TrimRight(s, "KMG"), 10, 64)
	return v * mult, err
}

type sizeFlag struct{ v uint64 }

func (f *sizeFlag) String() string     { return strconv.FormatUint(f.v, 10) }
func (f *sizeFlag) Set(s string) error { v, err := parseSize(s); f.v = v; return err }

// peakRSS: VmHWM of /proc/self/status, in bytes.
func peakRSS() uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func main() {
	rate := &sizeFlag{8 << 20}
	entry := &sizeFlag{64 << 10}
	big := &sizeFlag{1 << 20}
	maxCache := &sizeFlag{0}
	headroom := &sizeFlag{0}
	flag.Var(rate, "rate", "bytes added to the cache per second (K, M, G)")
	flag.Var(entry, "entry", "bytes per cache entry")
	flag.Var(big, "big", "extra bytes of one request in 16")
	flag.Var(maxCache, "max-cache", "bound of the cache (0: none)")
	flag.Var(headroom, "headroom", "GOMEMLIMIT headroom below the soft limit (0: 10 %)")
	noClient := flag.Bool("no-client", false, "run without mempressured")
	handler := flag.String("handler", "runtime", "runtime or none")
	noLimit := flag.Bool("no-limit", false, "leave GOMEMLIMIT alone")
	socket := flag.String("socket", "", "mempressured's socket (default: $MEMORY_PRESSURE_WATCH, then /run/mempressured.sock)")
	name := flag.String("name", "bufcache", "name given to mempressured")
	workers := flag.Int("workers", 4, "goroutines serving requests")
	duration := flag.Duration("duration", 0, "run this long, then exit 0 (0: until killed)")
	requests := flag.Uint64("requests", 0, "serve this many requests, none dropped, then exit 0 (0: no bound)")
	flag.Parse()

	c := &cache{entries: make(map[uint64][]byte), max: maxCache.v}
	var trims, freedTotal uint64
	start := time.Now()
	since := func() float64 { return time.Since(start).Seconds() }

	if !*noClient {
		opts := mempressure.Options{Name: *name, Socket: *socket}
		if *handler == "runtime" {
			h := mempressure.NewRuntimeHandler(c)
			opts.Handler = mempressure.HandlerFunc(func(t mempressure.Trim) uint64 {
				t0 := time.Now()
				freed := h.Trim(t)
				atomic.AddUint64(&trims, 1)
				atomic.AddUint64(&freedTotal, freed)
				fmt.Printf("trim t=%.1f id=%d level=%s reason=%s want=%d freed=%d took_ms=%d\n",
					since(), t.ID, t.Level, t.Reason, t.WantBytes, freed,
					time.Since(t0).Milliseconds())
				return freed
			})
		}
		opts.OnLevel = func(l mempressure.LevelChange) {
			fmt.Printf("level t=%.1f level=%s old=%s reason=%s soft=%d\n",
				since(), l.Level, l.OldLevel, l.Reason, l.SoftLimitBytes)
		}
		if !*noLimit {
			opts.MemoryLimit = &mempressure.MemoryLimit{
				HeadroomBytes: headroom.v,
				OnChange: func(l mempressure.LimitChange) {
					fmt.Printf("limit t=%.1f soft=%d limit=%d floor=%d trim=%d\n",
						since(), l.SoftLimitBytes, l.LimitBytes, l.FloorBytes,
						l.TrimBytes)
				},
			}
		}
		defer mempressure.Subscribe(opts).Close()
	}

	// The load: requests paced by the clock, so that a slow (or
	// throttled) process keeps the same rate once it can.
	// With -requests the work is fixed instead of the time: a slow machine
	// takes longer but ends with the same cache.
	reqs := make(chan uint64, 64)
	var served sync.WaitGroup
	for i := 0; i < *workers; i++ {
		served.Add(1)
		go func(seed int64) {
			defer served.Done()
			rng := rand.New(rand.NewSource(seed))
			for k := range reqs {
				serve(c, k, int(entry.v), int(big.v), rng)
			}
		}(int64(i))
	}
	perSec := float64(rate.v) / float64(entry.v)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var sent uint64
	lastStats := time.Now()
	for running := true; running; {
		var now time.Time
		select {
		case now = <-tick.C:
		case <-stop:
			running = false
			continue
		}
		due := uint64(since() * perSec)
		if *requests > 0 && due > *requests {
			due = *requests
		}
	send:
		for ; sent < due; sent++ {
			select {
			case reqs <- sent:
			default:
				if *requests > 0 {
					break send // behind: the rest waits for the next tick
				}
				// behind: this request is lost, as a client would give up
			}
		}
		if now.Sub(lastStats) >= time.Second {
			lastStats = now
			cb, ce, ev := c.stats()
			fmt.Printf("stats t=%.1f gc=%d cache=%d entries=%d evicted=%d limit=%d peak_rss=%d\n",
				since(), mempressure.GCCycles(), cb, ce, ev, debug.SetMemoryLimit(-1), peakRSS())
		}
		running = (*duration == 0 || time.Since(start) < *duration) &&
			(*requests == 0 || sent < *requests)
	}
	close(reqs)
	served.Wait()
	_, _, ev := c.stats()
	fmt.Printf("done t=%.1f gc=%d peak_rss=%d trims=%d freed=%d evicted=%d\n", since(),
		mempressure.GCCycles(), peakRSS(), atomic.LoadUint64(&trims),
		atomic.LoadUint64(&freedTotal), ev)
}
