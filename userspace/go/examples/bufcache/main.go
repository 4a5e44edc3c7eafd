// SPDX-License-Identifier: BSD-2-Clause

// bufcache is a service with the memory habits that make Go services
// creep toward their cgroup's limit: a map cache that only grows, and a
// sync.Pool of *bytes.Buffer whose buffers grow large (a request now and
// then is big, and the pool keeps the grown buffer).  It serves a steady
// load until -duration is up or SIGTERM, printing one line per second
// (stats), per trim, per level message and per change of its memory
// limit, and a last line (done).
//
// -mode client (the default) subscribes through the mempressure client,
// its cache a Shrinker of the runtime handler; -mode static sets
// GOMEMLIMIT once to 90 % of memory.max; -mode none runs it as it is.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"sync"

	"mempressure/go/examples/internal/svc"
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
func (c *cache) Shrink(_ context.Context, _ mempressure.Level, wantBytes uint64) uint64 {
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

func (c *cache) stats() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("cache=%d entries=%d evicted=%d", c.bytes, len(c.entries), c.evicted)
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

func main() {
	var f svc.Flags
	f.Register("bufcache")
	rate, entry, big, maxCache := svc.Size(8<<20), svc.Size(64<<10), svc.Size(1<<20), svc.Size(0)
	flag.Var(&rate, "rate", "bytes added to the cache per second (K, M, G)")
	flag.Var(&entry, "entry", "bytes per cache entry")
	flag.Var(&big, "big", "extra bytes of one request in 16")
	flag.Var(&maxCache, "max-cache", "bound of the cache (0: none)")
	workers := flag.Int("workers", 4, "goroutines serving requests")
	flag.Parse()

	c := &cache{entries: make(map[uint64][]byte), max: uint64(maxCache)}
	var counters svc.Counters
	defer f.Setup(&counters, c)()
	rngs := make([]*rand.Rand, *workers)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewSource(int64(i)))
	}
	f.Run(svc.Load{
		Rate:    float64(rate) / float64(entry),
		Workers: *workers,
		Serve:   func(w int, n uint64) { serve(c, n, int(entry), int(big), rngs[w]) },
		Extra:   c.stats,
	}, &counters)
}
