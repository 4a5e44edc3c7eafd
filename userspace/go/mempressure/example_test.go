// SPDX-License-Identifier: BSD-2-Clause

package mempressure_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"mempressure/go/mempressure"
)

// A service subscribes once, at start, and closes at the end.  Nothing
// here fails because the daemon is not there: Subscribe fails only for an
// option it cannot use.
func ExampleSubscribe() {
	ctx := context.Background()
	c, err := mempressure.Subscribe(ctx,
		mempressure.WithName("my-service"),
		mempressure.WithHandler(mempressure.NewRuntimeHandler()),
		mempressure.WithLogger(nil)) // quiet, for the example's output
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(ctx)
	fmt.Println("subscribed:", err == nil)
	// Output: subscribed: true
}

// Options are checked up front, and errors are tested with errors.Is.
func ExampleSubscribe_invalidOption() {
	_, err := mempressure.Subscribe(context.Background(), mempressure.WithName(strings.Repeat("x", 2000)))
	fmt.Println(errors.Is(err, mempressure.ErrInvalidOption))
	// Output: true
}

// lruCache stands for a service's cache: it drops its oldest entries when
// asked.
type lruCache struct {
	mu      sync.Mutex
	entries [][]byte
}

// Shrink drops the oldest entries until about wantBytes are gone.
func (c *lruCache) Shrink(ctx context.Context, level mempressure.Level, wantBytes uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var dropped uint64
	for len(c.entries) > 0 && dropped < wantBytes && ctx.Err() == nil {
		dropped += uint64(len(c.entries[0]))
		c.entries = c.entries[1:]
	}
	return dropped
}

// The runtime handler frees memory the Go way: the caches first (any type
// with a Shrink method), then one collection if it fits before the trim's
// deadline.  What it returns was measured.  Called here without a
// deadline, it collects before it returns; under a trim's deadline the
// first collection runs just after, as it has no measure of one yet.
func ExampleRuntimeHandler() {
	cache := &lruCache{}
	for i := 0; i < 32; i++ {
		cache.entries = append(cache.entries, make([]byte, 1<<20))
	}
	h := mempressure.NewRuntimeHandler(cache)
	freed := h.Trim(context.Background(), mempressure.Trim{Level: mempressure.LevelMedium, WantBytes: 16 << 20})
	fmt.Println("entries left:", len(cache.entries), "freed something:", freed > 0)
	// Output: entries left: 16 freed something: true
}

// A *slog.Logger (Go 1.21) has no Printf; LoggerFunc adapts it, or any
// other logger, in one line:
//
//	mempressure.WithLogger(mempressure.LoggerFunc(func(f string, a ...any) {
//		logger.Info(fmt.Sprintf(f, a...))
//	}))
//
// Here the lines are collected: a socket path that is a file is a
// configuration error, said once and not retried.
func ExampleLoggerFunc() {
	file := filepath.Join(os.TempDir(), "mempressure-example-not-a-socket")
	os.WriteFile(file, nil, 0o600)
	defer os.Remove(file)
	lines := make(chan string, 4)
	c, _ := mempressure.Subscribe(context.Background(), mempressure.WithSocket(file),
		mempressure.WithoutMemoryLimit(),
		mempressure.WithLogger(mempressure.LoggerFunc(func(f string, a ...interface{}) {
			lines <- fmt.Sprintf(f, a...)
		})))
	defer c.Close(context.Background())
	fmt.Println(strings.Contains(<-lines, "is not a socket; not retrying"))
	// Output: true
}

// State is what a readiness probe, a status page or a log line needs.
func ExampleClient_State() {
	c, _ := mempressure.Subscribe(context.Background(),
		mempressure.WithSocket(filepath.Join(os.TempDir(), "no-mempressured-here.sock")),
		mempressure.WithoutMemoryLimit(), mempressure.WithLogger(nil))
	defer c.Close(context.Background())
	for c.State().Conn == mempressure.Connecting {
		time.Sleep(time.Millisecond)
	}
	st := c.State()
	fmt.Println(st.Conn, errors.Is(st.Err, mempressure.ErrUnreachable),
		st.MemoryLimitBytes == math.MaxInt64)
	// Output: disconnected true true
}
