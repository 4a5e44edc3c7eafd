// SPDX-License-Identifier: BSD-2-Clause

// Package svc is what the example services share: a load paced by the
// clock, the three ways of running them that docs/go.md compares (no
// memory limit, a limit set once at 90 % of memory.max as automemlimit
// does, and the mempressure client), and the lines they print, which the
// VM test (selftests/mempressure/go.c) reads.
package svc

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mempressure/go/mempressure"
)

// Size is a flag of bytes: 64K, 8M, 1G.
type Size uint64

func (s *Size) String() string { return strconv.FormatUint(uint64(*s), 10) }

// Set parses a size with an optional K, M or G.
func (s *Size) Set(v string) error {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(v, "K"):
		mult = 1 << 10
	case strings.HasSuffix(v, "M"):
		mult = 1 << 20
	case strings.HasSuffix(v, "G"):
		mult = 1 << 30
	}
	n, err := strconv.ParseUint(strings.TrimRight(v, "KMG"), 10, 64)
	*s = Size(n * mult)
	return err
}

// Flags are the ones every example service has.
type Flags struct {
	Mode     string // "client", "static" or "none"
	Static   int    // the static limit, % of memory.max
	Handler  string // "runtime" or "none"
	Socket   string
	Name     string
	Duration time.Duration
	start    time.Time
}

// Register adds the common flags; @name is the default -name.
func (f *Flags) Register(name string) {
	flag.StringVar(&f.Mode, "mode", "client",
		"client: the mempressure client; static: GOMEMLIMIT set once from memory.max; none: no limit")
	flag.IntVar(&f.Static, "static-percent", 90, "-mode static: GOMEMLIMIT as this % of memory.max")
	flag.StringVar(&f.Handler, "handler", "runtime", "-mode client: runtime or none")
	flag.StringVar(&f.Socket, "socket", "", "mempressured's socket (default: $MEMORY_PRESSURE_WATCH, then /run/mempressured.sock)")
	flag.StringVar(&f.Name, "name", name, "name given to mempressured")
	flag.DurationVar(&f.Duration, "duration", 0, "run this long, then exit 0 (0: until SIGTERM)")
	f.start = time.Now()
}

// Since: seconds since the start, for the lines.
func (f *Flags) Since() float64 { return time.Since(f.start).Seconds() }

// Counters are what a service reports besides the runtime's figures.
type Counters struct {
	Served, Dropped, Trims, Freed uint64 // atomic
}

// Setup applies -mode: the client (its lines printed as they come), the
// static limit, or nothing.  The shrinkers go to the runtime handler.  The
// returned function ends it.
func (f *Flags) Setup(c *Counters, shrinkers ...mempressure.Shrinker) func() {
	switch f.Mode {
	case "none":
		return func() {}
	case "static":
		limit, err := StaticLimit(f.Static)
		if err != nil {
			fmt.Fprintf(os.Stderr, "static limit: %v\n", err)
			os.Exit(2)
		}
		fmt.Printf("limit t=%.1f static=%d\n", f.Since(), limit)
		return func() {}
	case "client":
	default:
		fmt.Fprintf(os.Stderr, "-mode %q: client, static or none\n", f.Mode)
		os.Exit(2)
	}
	opts := []mempressure.Option{mempressure.WithName(f.Name),
		mempressure.WithOnLevel(func(l mempressure.LevelChange) {
			fmt.Printf("level t=%.1f level=%s old=%s reason=%s soft=%d\n",
				f.Since(), l.Level, l.OldLevel, l.Reason, l.SoftLimitBytes)
		}),
		mempressure.WithMemoryLimit(mempressure.MemoryLimit{OnChange: func(l mempressure.LimitChange) {
			fmt.Printf("limit t=%.1f soft=%d cgroup=%d headroom=%d target=%d live=%d floor=%d ceiling=%d limit=%d unmet=%d\n",
				f.Since(), l.SoftLimitBytes, l.CgroupLimitBytes, l.HeadroomBytes, l.TargetBytes,
				l.LiveBytes, l.FloorBytes, l.CeilingBytes, l.LimitBytes, l.UnmetBytes)
		}})}
	if f.Socket != "" {
		opts = append(opts, mempressure.WithSocket(f.Socket))
	}
	if f.Handler == "runtime" {
		h := mempressure.NewRuntimeHandler(shrinkers...)
		opts = append(opts, mempressure.WithHandler(mempressure.HandlerFunc(
			func(ctx context.Context, t mempressure.Trim) uint64 {
				t0 := time.Now()
				left := time.Until(t.Deadline)
				freed := h.Trim(ctx, t)
				atomic.AddUint64(&c.Trims, 1)
				atomic.AddUint64(&c.Freed, freed)
				fmt.Printf("trim t=%.1f id=%d level=%s reason=%s want=%d freed=%d left_ms=%d took_ms=%d\n",
					f.Since(), t.ID, t.Level, t.Reason, t.WantBytes, freed,
					left.Milliseconds(), time.Since(t0).Milliseconds())
				return freed
			})))
	}
	client, err := mempressure.Subscribe(context.Background(), opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return func() { client.Close(context.Background()) }
}

// cgroupDir: the process's cgroup v2 directory, "" if none.
func cgroupDir() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "0::") {
			return filepath.Join("/sys/fs/cgroup", l[3:])
		}
	}
	return ""
}

// cgroupFigures: what the cgroup holds, for the lines: memory.current and
// some of memory.stat.
func cgroupFigures() string {
	d := cgroupDir()
	cur, _ := os.ReadFile(filepath.Join(d, "memory.current"))
	stat, _ := os.ReadFile(filepath.Join(d, "memory.stat"))
	out := " cg_current=" + strings.TrimSpace(string(cur))
	for _, l := range strings.Split(string(stat), "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			switch k {
			case "anon", "file", "kernel", "shmem", "sock", "percpu":
				out += " cg_" + k + "=" + v
			}
		}
	}
	return out
}

// StaticLimit sets GOMEMLIMIT once to @pct % of the lowest memory.max of
// the process's cgroup and its ancestors, as automemlimit does by
// default, and returns it.
func StaticLimit(pct int) (int64, error) {
	dir := cgroupDir()
	if dir == "" {
		return 0, fmt.Errorf("no cgroup v2")
	}
	var lowest uint64
	for d := dir; strings.HasPrefix(d, "/sys/fs/cgroup"); d = filepath.Dir(d) {
		v, err := os.ReadFile(filepath.Join(d, "memory.max"))
		if n, perr := strconv.ParseUint(strings.TrimSpace(string(v)), 10, 64); err == nil && perr == nil &&
			(lowest == 0 || n < lowest) {
			lowest = n
		}
	}
	if lowest == 0 {
		return 0, fmt.Errorf("no memory.max in %s", dir)
	}
	limit := int64(lowest / 100 * uint64(pct))
	debug.SetMemoryLimit(limit)
	return limit, nil
}

// GCCPU is the GC's share of the CPU the process had (GOMAXPROCS × wall
// time) since it started: runtime/metrics' /cpu/classes/gc/total over
// /cpu/classes/total where the Go has them (1.20 on), else
// runtime.MemStats.GCCPUFraction (Go 1.19).  The source is returned too.
func GCCPU() (float64, string) {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindFloat64 && s[1].Value.Kind() == metrics.KindFloat64 &&
		s[1].Value.Float64() > 0 {
		return s[0].Value.Float64() / s[1].Value.Float64(), "metrics"
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.GCCPUFraction, "memstats"
}

// rss: VmRSS and VmHWM of /proc/self/status, in bytes.
func rss() (now, peak uint64) {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			now = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return now, peak
}

// Line prints a stats or done line: the common figures, then @extra.
func (f *Flags) Line(kind string, c *Counters, extra string) {
	gcCPU, source := GCCPU()
	now, peak := rss()
	fmt.Printf("%s t=%.1f served=%d dropped=%d gc=%d gc_cpu=%.4f gc_cpu_source=%s rss=%d peak_rss=%d limit=%d trims=%d freed=%d%s%s\n",
		kind, f.Since(), atomic.LoadUint64(&c.Served), atomic.LoadUint64(&c.Dropped),
		mempressure.GCCycles(), gcCPU, source, now, peak, debug.SetMemoryLimit(-1),
		atomic.LoadUint64(&c.Trims), atomic.LoadUint64(&c.Freed), extra, cgroupFigures())
}

// Load is requests paced by the clock: Rate a second, and every
// BurstEvery a burst of Burst at once (their numbers have BurstBit set),
// handed to Workers goroutines; a request no worker can take at once is
// dropped, as a client would give up.  Each second a stats line is
// printed, and a done line at the end (-duration, or SIGTERM).
type Load struct {
	Rate       float64
	Burst      int
	BurstEvery time.Duration
	Workers    int
	Serve      func(worker int, n uint64)
	Extra      func() string // more of the stats and done lines
}

// BurstBit marks the requests of a burst.
const BurstBit = 1 << 63

// Run runs the load until -duration or SIGTERM.
func (f *Flags) Run(l Load, c *Counters) {
	reqs := make(chan uint64, l.Workers+l.Burst)
	var wg sync.WaitGroup
	for i := 0; i < l.Workers; i++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := range reqs {
				l.Serve(w, n)
				atomic.AddUint64(&c.Served, 1)
			}
		}(i)
	}
	extra := func() string {
		if l.Extra == nil {
			return ""
		}
		return " " + l.Extra()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var sent, bursts uint64
	lastStats := time.Now()
	send := func(n uint64) {
		select {
		case reqs <- n:
		default:
			atomic.AddUint64(&c.Dropped, 1)
		}
	}
	for running := true; running; {
		select {
		case <-tick.C:
		case <-stop:
			running = false
			continue
		}
		for due := uint64(f.Since() * l.Rate); sent < due; sent++ {
			send(sent)
		}
		if l.BurstEvery > 0 && time.Since(f.start) >= time.Duration(bursts+1)*l.BurstEvery {
			bursts++
			for i := 0; i < l.Burst; i++ {
				send(BurstBit | bursts<<32 | uint64(i))
			}
		}
		if time.Since(lastStats) >= time.Second {
			lastStats = time.Now()
			f.Line("stats", c, extra())
		}
		running = f.Duration == 0 || time.Since(f.start) < f.Duration
	}
	close(reqs)
	wg.Wait()
	f.Line("done", c, extra())
}
