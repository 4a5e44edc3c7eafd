// SPDX-License-Identifier: BSD-2-Clause

// poolsvc is the sync.Pool case on its own: a service that takes its
// buffers from a sync.Pool of *bytes.Buffer.  Its steady requests are
// small, but now and then a burst of large ones comes at once (a batch
// upload), and each grows a pooled buffer to its size.  After the burst
// the pool keeps the grown buffers: the steady requests reuse one or two,
// the rest sit idle until two collections pass them by, and with little
// garbage a collection is rare.  So the process's memory stays several
// times what its requests need, and every burst can add to it.
//
// Flags as bufcache's: -mode client (with the runtime handler and no
// shrinker: a sync.Pool cannot be asked to shrink), static or none.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"hash/crc32"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"mempressure/go/examples/internal/svc"
)

var (
	pool    = sync.Pool{New: func() interface{} { atomic.AddUint64(&created, 1); return new(bytes.Buffer) }}
	created uint64
	sink    uint32
)

// serve is one request: a pooled buffer filled with @n bytes, held for
// @hold (the request's other work), a response of @resp bytes made from it.
func serve(n, resp int, hold time.Duration, rng *rand.Rand) {
	b := pool.Get().(*bytes.Buffer)
	b.Reset()
	chunk := make([]byte, 4096)
	rng.Read(chunk[:64])
	for b.Len() < n {
		b.Write(chunk)
	}
	time.Sleep(hold)
	out := make([]byte, resp)
	copy(out, b.Bytes())
	atomic.AddUint32(&sink, crc32.ChecksumIEEE(out))
	pool.Put(b)
}

func main() {
	var f svc.Flags
	f.Register("poolsvc")
	small, large, resp := svc.Size(16<<10), svc.Size(4<<20), svc.Size(32<<10)
	flag.Var(&small, "small", "bytes of a steady request")
	flag.Var(&large, "large", "bytes of a request of a burst, at most")
	flag.Var(&resp, "resp", "bytes of each response (garbage)")
	rate := flag.Float64("rate", 100, "steady requests a second")
	burst := flag.Int("burst", 24, "requests of a burst, at most")
	every := flag.Duration("burst-every", 3*time.Second, "between bursts")
	hold := flag.Duration("hold", 10*time.Millisecond, "how long a request holds its buffer")
	flag.Parse()

	var counters svc.Counters
	defer f.Setup(&counters)()
	workers := 8 + *burst
	rngs := make([]*rand.Rand, workers)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewSource(int64(i)))
	}
	f.Run(svc.Load{
		Rate: *rate, Burst: *burst, BurstEvery: *every, Workers: workers,
		Serve: func(w int, n uint64) {
			size := int(small)
			if n&svc.BurstBit != 0 {
				// Bursts differ: between a quarter and all of -large.
				size = int(large)/4 + rngs[w].Intn(int(large)/4*3+1)
			}
			serve(size, int(resp), *hold, rngs[w])
		},
		Extra: func() string { return fmt.Sprintf("buffers=%d", atomic.LoadUint64(&created)) },
	}, &counters)
}
