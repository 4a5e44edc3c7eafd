// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testWait = 10 * time.Second

// fakeDaemon is a SOCK_SEQPACKET listener that plays mempressured.
type fakeDaemon struct {
	t    *testing.T
	path string
	ln   *net.UnixListener
}

func newFakeDaemon(t *testing.T, path string) *fakeDaemon {
	if path == "" {
		path = filepath.Join(t.TempDir(), "mpd.sock")
	}
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeDaemon{t: t, path: path, ln: ln}
}

// accept takes the next client and reads its hello.
func (d *fakeDaemon) accept() (*net.UnixConn, *message) {
	d.ln.SetDeadline(time.Now().Add(testWait))
	conn, err := d.ln.AcceptUnix()
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { conn.Close() })
	m := d.recv(conn)
	if m.name != msgHello {
		d.t.Fatalf("first message %q", m.name)
	}
	return conn, m
}

func (d *fakeDaemon) recv(conn *net.UnixConn) *message {
	buf := make([]byte, msgMax+1)
	conn.SetReadDeadline(time.Now().Add(testWait))
	n, err := conn.Read(buf)
	if err != nil {
		d.t.Fatal(err)
	}
	m, err := parseMessage(buf[:n])
	if err != nil {
		d.t.Fatalf("%q: %v", buf[:n], err)
	}
	return m
}

func (d *fakeDaemon) send(conn *net.UnixConn, text string) {
	if _, err := conn.Write([]byte(text)); err != nil {
		d.t.Fatal(err)
	}
}

// welcome accepts a client and welcomes it with soft limit @soft.
func (d *fakeDaemon) welcome(soft uint64) *net.UnixConn {
	conn, _ := d.accept()
	d.send(conn, fmt.Sprintf("msg=welcome version=1 pid=%d cgroup=/app level=none soft_limit_bytes=%d",
		os.Getpid(), soft))
	return conn
}

// logCounter is a Logger that keeps its lines.
type logCounter struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCounter) Printf(format string, args ...interface{}) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

// snapshot: the lines so far, a copy (the client may log on meanwhile).
func (l *logCounter) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *logCounter) count(sub string) int {
	n := 0
	for _, s := range l.snapshot() {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// fakeCgroup is a cgroup v2 tree in a temporary directory, with the
// process in /svc below it.
type fakeCgroup struct {
	t          *testing.T
	root, self string
}

func newFakeCgroup(t *testing.T, files map[string]string) *fakeCgroup {
	root := t.TempDir()
	f := &fakeCgroup{t: t, root: root, self: filepath.Join(root, "self.cgroup")}
	if err := os.MkdirAll(filepath.Join(root, "svc"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.write("self.cgroup", "0::/svc\n")
	base := map[string]string{"svc/memory.max": "max", "svc/memory.high": "max",
		"svc/memory.current": "0", "svc/memory.stat": "anon 0\nfile 0\nshmem 0\n"}
	for k, v := range files {
		base[k] = v
	}
	for k, v := range base {
		f.write(k, v)
	}
	return f
}

func (f *fakeCgroup) write(name, value string) {
	if err := os.WriteFile(filepath.Join(f.root, name), []byte(value+"\n"), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeCgroup) opts() []Option {
	return []Option{WithCgroupRoot(f.root), withSelfCgroup(f.self)}
}

// tlog: the client's lines in the test's log.
func tlog(t *testing.T) Option { return WithLogger(LoggerFunc(t.Logf)) }

// noCgroup: the options of a client that sees a cgroup without limits.
func noCgroup(t *testing.T) []Option { return newFakeCgroup(t, nil).opts() }

// subscribe: Subscribe that must work, closed at the end of the test.
func subscribe(t *testing.T, opts ...Option) *Client {
	c, err := Subscribe(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// waitFor polls @cond until it holds or the test's patience ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func recvChan[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testWait):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// The limit that was in force before each test is in force after it.
func checkLimitRestored(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		if now := debug.SetMemoryLimit(-1); now != before {
			t.Errorf("the test left GOMEMLIMIT at %d, it was %d", now, before)
			debug.SetMemoryLimit(before)
		}
	})
}

func TestTrimHandlerAndReply(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	type call struct {
		tr       Trim
		deadline time.Time
		ok       bool
	}
	got := make(chan call, 1)
	subscribe(t, append(noCgroup(t), WithName("go test"), WithSocket(d.path), tlog(t),
		WithHandler(HandlerFunc(func(ctx context.Context, tr Trim) uint64 {
			dl, ok := ctx.Deadline()
			got <- call{tr, dl, ok}
			return 9437184
		})))...)
	conn, hello := d.accept()
	if v, _ := hello.get(keyVersion); v != "1" {
		t.Errorf("hello version %q", v)
	}
	if v, _ := hello.get(keyName); v != "go test" {
		t.Errorf("hello name %q", v)
	}
	d.send(conn, "msg=welcome version=1 pid=412 cgroup=/app level=none soft_limit_bytes=536870912")
	sent := time.Now()
	d.send(conn, "msg=trim id=7 level=medium reason=soft want_bytes=8388608 deadline_ms=500 cgroup=/app pid=412")
	reply := d.recv(conn)
	c := recvChan(t, got, "the handler")
	tr := c.tr
	if tr.ID != 7 || tr.Level != LevelMedium || tr.Reason != "soft" || tr.WantBytes != 8388608 ||
		tr.Cgroup != "/app" || tr.PID != 412 {
		t.Errorf("trim %+v", tr)
	}
	// The handler's context ends a margin before the daemon's deadline.
	if !c.ok || !c.deadline.Equal(tr.Deadline) {
		t.Errorf("context deadline %v (%v), Trim.Deadline %v", c.deadline, c.ok, tr.Deadline)
	}
	if dl := tr.Deadline.Sub(sent); dl > 500*time.Millisecond-replyMargin(500*time.Millisecond)+testWait/10 {
		t.Errorf("deadline %v after the send", dl)
	}
	if tr.MemoryLimitBytes <= 0 || tr.LiveGoalBytes == 0 {
		t.Errorf("no limit for the handler: %+v", tr)
	}
	if reply.name != msgTrimmed {
		t.Fatalf("reply %q", reply.name)
	}
	if id, _ := reply.u64(keyID); id != 7 {
		t.Errorf("reply id %d", id)
	}
	if f, _ := reply.u64(keyFreed); f != 9437184 {
		t.Errorf("reply freed %d", f)
	}
	if u, err := reply.u64(keyUnmet); err != nil || u != 0 {
		t.Errorf("reply unmet %d %v", u, err)
	}
}

// No handler: a trim is answered with 0 and nothing else happens.
func TestNoHandlerAnswersZero(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	subscribe(t, WithSocket(d.path), tlog(t), WithoutMemoryLimit())
	conn := d.welcome(1)
	d.send(conn, "msg=trim id=3 level=critical reason=leak want_bytes=4096 deadline_ms=100 cgroup=/ pid=1")
	r := d.recv(conn)
	if f, err := r.u64(keyFreed); r.name != msgTrimmed || err != nil || f != 0 {
		t.Errorf("reply %+v", r)
	}
	if _, ok := r.get(keyUnmet); ok {
		t.Error("unmet_bytes from a client that leaves the limit alone")
	}
	if before := debug.SetMemoryLimit(-1); before != math.MaxInt64 {
		t.Errorf("the memory limit was touched: %d", before)
	}
}

// With the daemon, the limit follows the soft limit of the welcome and of
// level messages, before OnLevel hears of them; Close puts the old one back.
func TestMemoryLimitFollowsSoftLimit(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	changes := make(chan LimitChange, 8)
	levels := make(chan int64, 8)
	c := subscribe(t, append(noCgroup(t), WithSocket(d.path), tlog(t),
		WithMemoryLimit(MemoryLimit{OnChange: func(l LimitChange) { changes <- l }}),
		WithOnLevel(func(LevelChange) { levels <- debug.SetMemoryLimit(-1) }))...)
	conn := d.welcome(512 << 20)
	if l := recvChan(t, changes, "a change"); l.SoftLimitBytes != 512<<20 || l.LimitBytes != 512<<20/100*90 {
		t.Errorf("welcome: %+v", l)
	}
	d.send(conn, "msg=level cgroup=/app level=low old_level=none reason=usage soft_limit_bytes=268435456")
	if l := recvChan(t, changes, "a change"); l.LimitBytes != 256<<20/100*90 {
		t.Errorf("level: %+v", l)
	}
	if l := recvChan(t, levels, "OnLevel"); l != 256<<20/100*90 {
		t.Errorf("OnLevel saw the limit at %d", l)
	}
	// From a daemon that does not say: the limit stays.
	d.send(conn, "msg=level cgroup=/app level=none old_level=low reason=calm")
	if l := recvChan(t, levels, "OnLevel"); l != 256<<20/100*90 {
		t.Errorf("a level without soft limit moved it to %d", l)
	}
	if st := c.State(); st.Conn != Subscribed || st.Level != LevelNone || st.Cgroup != "/app" ||
		st.MemoryLimitBytes != 256<<20/100*90 {
		t.Errorf("state %+v", st)
	}
}

// Without the daemon, GOMEMLIMIT is 90 % of the lowest memory.high or
// memory.max of the cgroup and its ancestors, and follows them.
func TestMemoryLimitFollowsCgroupAlone(t *testing.T) {
	checkLimitRestored(t)
	cg := newFakeCgroup(t, map[string]string{"svc/memory.max": "1073741824"})
	changes := make(chan LimitChange, 8)
	c := subscribe(t, append(cg.opts(), WithSocket(filepath.Join(t.TempDir(), "none.sock")),
		tlog(t), WithMemoryLimit(MemoryLimit{RefreshInterval: 20 * time.Millisecond,
			OnChange: func(l LimitChange) { changes <- l }}))...)
	// Set before Subscribe returned.
	if l := debug.SetMemoryLimit(-1); l != 1<<30/100*90 {
		t.Errorf("after Subscribe: %d", l)
	}
	recvChan(t, changes, "the first change")
	// An in-place resize.
	cg.write("svc/memory.max", "536870912")
	if l := recvChan(t, changes, "the resize"); l.CgroupLimitBytes != 512<<20 || l.LimitBytes != 512<<20/100*90 {
		t.Errorf("after the resize: %+v", l)
	}
	// memory.high below it counts.
	cg.write("svc/memory.high", "268435456")
	if l := recvChan(t, changes, "memory.high"); l.LimitBytes != 256<<20/100*90 {
		t.Errorf("after memory.high: %+v", l)
	}
	// So does an ancestor's.
	cg.write("memory.max", "134217728")
	if l := recvChan(t, changes, "the parent's limit"); l.CgroupLimitBytes != 128<<20 {
		t.Errorf("after the parent's limit: %+v", l)
	}
	if st := c.State(); st.MemoryLimitBytes != st.Limit.LimitBytes || st.Limit.CgroupLimitBytes != 128<<20 {
		t.Errorf("state %+v", st)
	}
}

// Page cache is the kernel's to reclaim: it is not headroom.  Memory held
// outside the runtime is, and that headroom decays once it is gone.
func TestHeadroomCountsUnreclaimableOnly(t *testing.T) {
	checkLimitRestored(t)
	cg := newFakeCgroup(t, map[string]string{"svc/memory.max": "1073741824",
		"svc/memory.current": "943718400", "svc/memory.stat": "anon 104857600\nfile 838860800\nshmem 0\n"})
	c := subscribe(t, append(cg.opts(), WithSocket(filepath.Join(t.TempDir(), "none.sock")),
		tlog(t), WithMemoryLimit(MemoryLimit{RefreshInterval: -1}))...)
	// 800 MiB of page cache in 900: the headroom stays 10 %.
	if st := c.State(); st.Limit.HeadroomBytes != 1<<30-1<<30/100*90 {
		t.Errorf("page cache counted: %+v", st.Limit)
	}
	// The same 900 MiB, anonymous: 900 MiB less the runtime's own is
	// held outside it.
	l := newLimiter(MemoryLimit{Percent: 90, MinGCRoomBytes: defaultMinGCRoom},
		newCgroupFS(cg.root, cg.self), t.Logf, func() {})
	cg.write("svc/memory.stat", "anon 943718400\nfile 0\nshmem 0\n")
	t0 := time.Now()
	m := readRuntimeMemory()
	l.learnOutside(t0)
	if want := sub(900<<20, m.resident()); !near(l.outside, want) {
		t.Errorf("outside %d, want %d", l.outside, want)
	}
	first := l.outside
	// Gone: it halves each minute, instead of holding the limit down for good.
	cg.write("svc/memory.current", "0")
	l.learnOutside(t0.Add(time.Minute))
	if l.outside < first/2-1 || l.outside > first/2+1 {
		t.Errorf("a minute later %d, want half of %d", l.outside, first)
	}
	l.learnOutside(t0.Add(5 * time.Minute))
	if l.outside > first/16 {
		t.Errorf("five minutes later %d", l.outside)
	}
	// tmpfs and shared memory are counted in file, but are not reclaimable.
	cg.write("svc/memory.current", "943718400")
	cg.write("svc/memory.stat", "anon 0\nfile 943718400\nshmem 943718400\n")
	l.learnOutside(t0.Add(6 * time.Minute))
	if want := sub(900<<20, m.resident()); !near(l.outside, want) {
		t.Errorf("shmem: outside %d, want %d", l.outside, want)
	}
}

// near: within 1 MiB (what the runtime holds moves as the test runs).
func near(a, b uint64) bool { return a+1<<20 >= b && b+1<<20 >= a }

// The GC death spiral (golang/go#48409): a limit below the live heap makes
// the collector run back to back.  With 64 MiB live and a soft limit of
// 60 MiB, the rule before this package's floor set GOMEMLIMIT to 60 MiB
// (its floor, 5/4 of live, was capped at the soft limit); the client now
// keeps it above live + live/10 + 16 MiB and says it cannot meet the soft
// limit.  The figures: GC cycles and CPU over the same paced allocation.
func TestNoGCDeathSpiral(t *testing.T) {
	checkLimitRestored(t)
	held := holdLive(64)
	runtime.GC()

	// The spiral, as the old rule made it.
	prev := debug.SetMemoryLimit(60 << 20)
	spiral := allocLoad()
	debug.SetMemoryLimit(prev)
	t.Logf("GOMEMLIMIT 60 MiB, 64 MiB live: %s", spiral)

	d := newFakeDaemon(t, "")
	logs := &logCounter{}
	c := subscribe(t, append(noCgroup(t), WithSocket(d.path), WithLogger(logs))...)
	conn := d.welcome(60 << 20)
	waitFor(t, "the soft limit", func() bool { return c.State().Limit.SoftLimitBytes != 0 })
	st := c.State()
	fixed := allocLoad()
	t.Logf("the client's GOMEMLIMIT %d MiB (floor %d, target %d, live %d MiB): %s",
		st.MemoryLimitBytes>>20, st.Limit.FloorBytes>>20, st.Limit.TargetBytes>>20,
		st.Limit.LiveBytes>>20, fixed)

	if st.MemoryLimitBytes < 64<<20+64<<20/10+defaultMinGCRoom {
		t.Errorf("GOMEMLIMIT %d with 64 MiB live", st.MemoryLimitBytes)
	}
	if st.Limit.UnmetBytes == 0 || st.Limit.TargetBytes != 60<<20/100*90 {
		t.Errorf("the soft limit is said to be met: %+v", st.Limit)
	}
	if n := logs.count("cannot be kept"); n != 1 {
		t.Errorf("%d lines say the limits cannot be kept: %q", n, logs.snapshot())
	}
	// Structure, not speed: cycles per MiB allocated.  Each cycle may let
	// the heap grow by the room above live, 22 MiB or more: allow twice
	// the cycles that makes, and the spiral must run many times more.
	if max := fixed.allocMiB / 11; fixed.cycles > max {
		t.Errorf("%d cycles for %d MiB allocated, at most %d expected", fixed.cycles, fixed.allocMiB, max)
	}
	if spiral.cycles < 10*fixed.cycles {
		t.Errorf("the spiral did not reproduce: %s against %s", spiral, fixed)
	}
	// mempressured hears it in the trimmed reply.
	d.send(conn, "msg=trim id=1 level=medium reason=soft want_bytes=8388608 deadline_ms=500 cgroup=/app pid=1")
	r := d.recv(conn)
	if u, err := r.u64(keyUnmet); err != nil || u == 0 {
		t.Errorf("reply %+v", r)
	}
	runtime.KeepAlive(held)
}

// The floor never lifts the limit past what memory.max leaves the runtime:
// the kernel's OOM killer acts there before the collector would.
func TestLimitStaysUnderMemoryMax(t *testing.T) {
	checkLimitRestored(t)
	held := holdLive(80)
	runtime.GC()
	recordExactLive()
	cg := newFakeCgroup(t, map[string]string{"svc/memory.max": "100663296"})
	c := subscribe(t, append(cg.opts(), WithSocket(filepath.Join(t.TempDir(), "none.sock")),
		tlog(t), WithMemoryLimit(MemoryLimit{RefreshInterval: -1}))...)
	st := c.State()
	if st.Limit.CeilingBytes != 96<<20-96<<20/50 || st.MemoryLimitBytes != int64(st.Limit.CeilingBytes) ||
		st.Limit.FloorBytes <= st.Limit.CeilingBytes || st.Limit.UnmetBytes == 0 {
		t.Errorf("%+v", st.Limit)
	}
	runtime.KeepAlive(held)
}

// holdLive: @mib MiB of heap, touched.
func holdLive(mib int) [][]byte {
	held := make([][]byte, mib)
	for i := range held {
		held[i] = make([]byte, 1<<20)
		for j := range held[i] {
			held[i][j] = byte(j)
		}
	}
	return held
}

type loadFigures struct {
	cycles, allocMiB uint64
	cpu, wall        time.Duration
}

func (f loadFigures) String() string {
	return fmt.Sprintf("%d GC cycles for %d MiB allocated (%.0f cycles/s), %v of CPU in %v",
		f.cycles, f.allocMiB, float64(f.cycles)/f.wall.Seconds(), f.cpu.Round(time.Millisecond),
		f.wall.Round(time.Millisecond))
}

// allocLoad allocates 256 MiB of garbage at about 256 MiB/s and counts
// the collections and the process's CPU.
func allocLoad() loadFigures {
	var r0, r1 syscall.Rusage
	m0 := readRuntimeMemory()
	syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	start := time.Now()
	var sink []byte
	for i := 0; i < 256; i++ {
		for j := 0; j < 16; j++ {
			sink = make([]byte, 64<<10)
		}
		if ahead := time.Duration(i+1)*4*time.Millisecond - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
	}
	runtime.KeepAlive(sink)
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	m1 := readRuntimeMemory()
	return loadFigures{cycles: m1.gcCycles - m0.gcCycles, allocMiB: (m1.allocs - m0.allocs) >> 20,
		cpu:  time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano()),
		wall: wall}
}

// When the live heap grows past the floor the last evaluation allowed, the
// GC watch has the client raise the limit before the collections run back
// to back: no refresh, no message needed.
func TestFloorFollowsGrowingHeap(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	c := subscribe(t, append(noCgroup(t), WithSocket(d.path), tlog(t),
		WithMemoryLimit(MemoryLimit{RefreshInterval: -1}))...)
	d.welcome(64 << 20)
	waitFor(t, "the soft limit", func() bool { return c.State().Limit.SoftLimitBytes != 0 })
	held := holdLive(96)
	waitFor(t, "the floor to follow the heap", func() bool {
		allocLoadShort()
		return c.State().MemoryLimitBytes > 96<<20+96<<20/10
	})
	runtime.KeepAlive(held)
}

func allocLoadShort() {
	var sink []byte
	for i := 0; i < 64; i++ {
		sink = make([]byte, 64<<10)
	}
	runtime.KeepAlive(sink)
}

// Close from inside each callback returns (no deadlock), and the limit is
// given back.
func TestCloseFromCallbacks(t *testing.T) {
	for _, which := range []string{"handler", "OnLevel", "OnChange"} {
		t.Run(which, func(t *testing.T) {
			checkLimitRestored(t)
			d := newFakeDaemon(t, "")
			var c *Client
			ready := make(chan struct{})
			closed := make(chan error, 1)
			closeIt := func() {
				<-ready
				closed <- c.Close(context.Background())
			}
			opts := append(noCgroup(t), WithSocket(d.path), tlog(t))
			switch which {
			case "handler":
				opts = append(opts, WithHandler(HandlerFunc(func(context.Context, Trim) uint64 {
					closeIt()
					return 0
				})))
			case "OnLevel":
				opts = append(opts, WithOnLevel(func(LevelChange) { closeIt() }))
			case "OnChange":
				opts = append(opts, WithMemoryLimit(MemoryLimit{OnChange: func(LimitChange) { closeIt() }}))
			}
			c = subscribe(t, opts...)
			close(ready)
			conn := d.welcome(256 << 20)
			// The client may be gone by then: these may fail.
			conn.Write([]byte("msg=level cgroup=/app level=medium old_level=none reason=usage soft_limit_bytes=268435456"))
			conn.Write([]byte("msg=trim id=1 level=medium reason=soft want_bytes=1 deadline_ms=500 cgroup=/app pid=1"))
			if err := recvChan(t, closed, "Close"); err != nil {
				t.Error(err)
			}
			if st := c.State(); st.Conn != Closed || !errors.Is(st.Err, ErrClosed) {
				t.Errorf("state %+v", st)
			}
		})
	}
}

// Close cancels a running handler's context and does not wait for it.
func TestCloseCancelsHandler(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	running := make(chan struct{})
	cancelled := make(chan error, 1)
	c := subscribe(t, append(noCgroup(t), WithSocket(d.path), tlog(t),
		WithHandler(HandlerFunc(func(ctx context.Context, _ Trim) uint64 {
			close(running)
			<-ctx.Done()
			cancelled <- ctx.Err()
			return 0
		})))...)
	conn := d.welcome(256 << 20)
	d.send(conn, "msg=trim id=1 level=medium reason=soft want_bytes=1 deadline_ms=60000 cgroup=/app pid=1")
	recvChan(t, running, "the handler")
	if err := c.Close(context.Background()); err != nil {
		t.Error(err)
	}
	if err := recvChan(t, cancelled, "the cancellation"); !errors.Is(err, context.Canceled) {
		t.Errorf("the handler's context ended with %v", err)
	}
}

// Subscribe's context ends the subscription as Close does.
func TestContextEndsSubscription(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Subscribe(ctx, append(noCgroup(t), WithSocket(d.path), tlog(t))...)
	if err != nil {
		t.Fatal(err)
	}
	d.welcome(256 << 20)
	waitFor(t, "the limit", func() bool { return debug.SetMemoryLimit(-1) != math.MaxInt64 })
	cancel()
	waitFor(t, "the end", func() bool { return c.State().Conn == Closed })
	if err := c.Close(context.Background()); err != nil {
		t.Error(err)
	}
}

// Several clients in one process: the lowest wish is the limit, and the
// last one out puts back the limit from before the first, whatever the
// order.  A limit someone else sets meanwhile is a ceiling and stays.
func TestSeveralClientsShareTheLimit(t *testing.T) {
	checkLimitRestored(t)
	orig := debug.SetMemoryLimit(-1)
	small := newFakeCgroup(t, map[string]string{"svc/memory.max": "268435456"})
	large := newFakeCgroup(t, map[string]string{"svc/memory.max": "536870912"})
	for _, order := range []string{"first out first", "last out first"} {
		before := debug.SetMemoryLimit(-1)
		opts := []Option{WithSocket(filepath.Join(t.TempDir(), "none.sock")), tlog(t),
			WithMemoryLimit(MemoryLimit{RefreshInterval: -1})}
		a, _ := Subscribe(context.Background(), append(large.opts(), opts...)...)
		b, _ := Subscribe(context.Background(), append(small.opts(), opts...)...)
		if l := debug.SetMemoryLimit(-1); l != 256<<20/100*90 {
			t.Errorf("%s: two clients: %d", order, l)
		}
		first, second := a, b
		if order == "last out first" {
			first, second = b, a
		}
		first.Close(context.Background())
		second.Close(context.Background())
		if l := debug.SetMemoryLimit(-1); l != before {
			t.Errorf("%s: after both closed: %d, was %d", order, l, before)
		}
	}

	// Someone sets a limit while a client runs: Close leaves it.
	c, _ := Subscribe(context.Background(), append(large.opts(), WithSocket(filepath.Join(t.TempDir(), "none.sock")),
		tlog(t), WithMemoryLimit(MemoryLimit{RefreshInterval: -1}))...)
	debug.SetMemoryLimit(300 << 20)
	c.Close(context.Background())
	if l := debug.SetMemoryLimit(-1); l != 300<<20 {
		t.Errorf("Close did not leave the limit set since: %d", l)
	}
	debug.SetMemoryLimit(orig)

	// And caps the client's limit from its next evaluation on.
	c = subscribe(t, append(large.opts(), WithSocket(filepath.Join(t.TempDir(), "none.sock")),
		tlog(t), WithMemoryLimit(MemoryLimit{RefreshInterval: 10 * time.Millisecond}))...)
	debug.SetMemoryLimit(300 << 20)
	defer debug.SetMemoryLimit(orig)
	waitFor(t, "a refresh", func() bool { return refreshedSince(c) })
	if l := debug.SetMemoryLimit(-1); l != 300<<20 {
		t.Errorf("the client went past a limit set since: %d", l)
	}
	c.Close(context.Background())
	if l := debug.SetMemoryLimit(-1); l != 300<<20 {
		t.Errorf("Close did not leave the limit set since: %d", l)
	}
}

// refreshedSince: a refresh ran after the test's own SetMemoryLimit (the
// package noticed: its record of others' limit is the test's).
func refreshedSince(c *Client) bool {
	memLimit.Lock()
	defer memLimit.Unlock()
	return memLimit.others == 300<<20
}

// A handler that overruns its deadline: the client answers for it before
// the daemon's deadline, without waiting for it.
func TestLateHandlerIsAnsweredFor(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	release := make(chan struct{})
	deadlines := make(chan time.Time, 1)
	logs := &logCounter{}
	subscribe(t, append(noCgroup(t), WithSocket(d.path), WithLogger(logs),
		WithHandler(HandlerFunc(func(ctx context.Context, _ Trim) uint64 {
			dl, _ := ctx.Deadline()
			deadlines <- dl
			<-release
			return 1 << 30
		})))...)
	conn := d.welcome(256 << 20)
	sent := time.Now()
	d.send(conn, "msg=trim id=5 level=medium reason=soft want_bytes=1 deadline_ms=200 cgroup=/app pid=1")
	r := d.recv(conn)
	close(release)
	if f, _ := r.u64(keyFreed); r.name != msgTrimmed || f == 1<<30 {
		t.Errorf("reply %+v", r)
	}
	if d := recvChan(t, deadlines, "the deadline").Sub(sent); d <= 0 || d > 200*time.Millisecond {
		t.Errorf("the handler's deadline was %v after the send", d)
	}
	if n := logs.count("had not returned by its deadline"); n != 1 {
		t.Errorf("%d lines: %q", n, logs.snapshot())
	}
}

// A trim without level or deadline: the lowest level that trims, and the
// protocol's default deadline.  A level message with an unknown level is
// ignored, but its soft limit is not.
func TestMissingLevelAndDeadline(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	got := make(chan Trim, 2)
	levels := make(chan LevelChange, 2)
	logs := &logCounter{}
	c := subscribe(t, append(noCgroup(t), WithSocket(d.path), WithLogger(logs),
		WithOnLevel(func(l LevelChange) { levels <- l }),
		WithHandler(HandlerFunc(func(_ context.Context, tr Trim) uint64 { got <- tr; return 0 })))...)
	conn := d.welcome(256 << 20)
	sent := time.Now()
	d.send(conn, "msg=trim id=1 reason=soft want_bytes=4096 cgroup=/app pid=1")
	d.recv(conn)
	tr := recvChan(t, got, "the trim")
	if tr.Level != LevelLow {
		t.Errorf("a trim without level is %v", tr.Level)
	}
	if dl := tr.Deadline.Sub(sent); dl < defaultDeadline/2 || dl > defaultDeadline+testWait/10 {
		t.Errorf("a trim without deadline_ms has %v", dl)
	}
	d.send(conn, "msg=trim id=2 level=severe reason=soft want_bytes=4096 deadline_ms=500 cgroup=/app pid=1")
	d.recv(conn)
	if tr := recvChan(t, got, "the trim"); tr.Level != LevelLow {
		t.Errorf("a trim at an unknown level is %v", tr.Level)
	}
	d.send(conn, "msg=level cgroup=/app level=severe old_level=none reason=usage soft_limit_bytes=134217728")
	waitFor(t, "the soft limit", func() bool { return c.State().Limit.SoftLimitBytes == 128<<20 })
	d.send(conn, "msg=level cgroup=/app level=low old_level=none reason=usage soft_limit_bytes=134217728")
	if l := recvChan(t, levels, "OnLevel"); l.Level != LevelLow {
		t.Errorf("OnLevel %+v (the unknown level should have been skipped)", l)
	}
	if c.State().Level != LevelLow {
		t.Errorf("state level %v", c.State().Level)
	}
	for _, s := range []string{"without a deadline_ms", `trim with level ""`, `level message with level "severe"`} {
		if logs.count(s) == 0 {
			t.Errorf("no line says %q: %q", s, logs.snapshot())
		}
	}
}

// The daemon goes away and comes back: the client connects again, says it
// lost the daemon once however many retries it takes, and that it is back.
func TestReconnect(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	logs := &logCounter{}
	c := subscribe(t, append(noCgroup(t), WithSocket(d.path), WithLogger(logs))...)
	conn := d.welcome(1 << 30)
	waitFor(t, "subscribed", func() bool { return c.State().Conn == Subscribed })
	d.ln.Close()
	conn.Close()
	waitFor(t, "the loss", func() bool { return c.State().Conn == Disconnected })
	if st := c.State(); !errors.Is(st.Err, ErrLost) {
		t.Errorf("state %+v", st)
	}
	// Down for a while: several retries.
	time.Sleep(1200 * time.Millisecond)
	d2 := newFakeDaemon(t, d.path)
	d2.welcome(1 << 30)
	waitFor(t, "subscribed again", func() bool { return c.State().Conn == Subscribed })
	lines := logs.snapshot()
	if len(lines) != 2 || !strings.Contains(lines[0], "lost mempressured") ||
		!strings.Contains(lines[1], "subscribed to mempressured") {
		t.Errorf("%d log lines: %q", len(lines), lines)
	}
}

// No daemon at all: one line, no panic, and Close returns at once.
func TestUnreachableReportedOnce(t *testing.T) {
	checkLimitRestored(t)
	logs := &logCounter{}
	c, _ := Subscribe(context.Background(), append(noCgroup(t),
		WithSocket(filepath.Join(t.TempDir(), "none.sock")), WithLogger(logs))...)
	time.Sleep(1200 * time.Millisecond)
	if st := c.State(); st.Conn != Disconnected || !errors.Is(st.Err, ErrUnreachable) ||
		!errors.Is(st.Err, syscall.ENOENT) {
		t.Errorf("state %+v", st)
	}
	start := time.Now()
	c.Close(context.Background())
	if time.Since(start) > time.Second {
		t.Errorf("Close took %v", time.Since(start))
	}
	if lines := logs.snapshot(); len(lines) != 1 || !strings.Contains(lines[0], "cannot reach") {
		t.Errorf("%d log lines: %q", len(lines), lines)
	}
}

// A daemon that accepts and never welcomes is said so, once, and retried;
// it is told apart from one that cannot be reached.
func TestAcceptedButNoWelcome(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	logs := &logCounter{}
	c := subscribe(t, append(noCgroup(t), WithSocket(d.path), WithLogger(logs),
		withWelcomeTimeout(100*time.Millisecond))...)
	d.accept()
	conn, _ := d.accept() // retried
	if st := c.State(); st.Conn != Disconnected || !errors.Is(st.Err, ErrNoWelcome) {
		t.Errorf("state %+v", st)
	}
	d.send(conn, "msg=welcome version=1 pid=1 cgroup=/app level=none soft_limit_bytes=1073741824")
	waitFor(t, "subscribed", func() bool { return c.State().Conn == Subscribed })
	lines := logs.snapshot()
	if len(lines) != 2 || !strings.Contains(lines[0], "sent no welcome") ||
		!strings.Contains(lines[1], "subscribed to mempressured") {
		t.Errorf("%d log lines: %q", len(lines), lines)
	}
}

// countingDialer counts the connections tried.
type countingDialer struct {
	mu sync.Mutex
	n  int
	d  net.Dialer
}

func (c *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.d.DialContext(ctx, network, addr)
}

func (c *countingDialer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// A configuration error is said once, as such, and not retried; the
// memory limit still follows the cgroup.
func TestConfigurationErrorIsNotRetried(t *testing.T) {
	checkLimitRestored(t)
	notSock := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notSock, nil, 0o644)
	cg := newFakeCgroup(t, map[string]string{"svc/memory.max": "536870912"})
	dialer := &countingDialer{}
	logs := &logCounter{}
	c := subscribe(t, append(cg.opts(), WithSocket(notSock), WithLogger(logs), WithDialer(dialer))...)
	waitFor(t, "the failure", func() bool { return c.State().Conn == Failed })
	time.Sleep(600 * time.Millisecond) // past two retries, had there been any
	st := c.State()
	if !errors.Is(st.Err, ErrConfig) || errors.Is(st.Err, ErrUnreachable) {
		t.Errorf("state %+v", st)
	}
	if n := dialer.count(); n != 1 {
		t.Errorf("%d connections tried", n)
	}
	if lines := logs.snapshot(); len(lines) != 1 || !strings.Contains(lines[0], "not a socket") ||
		!strings.Contains(lines[0], "not retrying") {
		t.Errorf("%d log lines: %q", len(lines), lines)
	}
	if st.MemoryLimitBytes != 512<<20/100*90 {
		t.Errorf("limit %d", st.MemoryLimitBytes)
	}
}

// Options are checked up front.
func TestInvalidOptions(t *testing.T) {
	for name, o := range map[string]Option{
		"empty name":      WithName(""),
		"oversized name":  WithName(strings.Repeat("x", msgMax)),
		"NUL in the name": WithName("a\x00b"),
		"relative socket": WithSocket("mpd.sock"),
		"long socket":     WithSocket("/" + strings.Repeat("s", maxSocketPath)),
		"nil handler":     WithHandler(nil),
		"percent":         WithMemoryLimit(MemoryLimit{Percent: 101}),
		"nil dialer":      WithDialer(nil),
		"relative root":   WithCgroupRoot("sys/fs/cgroup"),
		"nil option":      nil,
	} {
		c, err := Subscribe(context.Background(), o)
		if !errors.Is(err, ErrInvalidOption) || c != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Subscribe(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("a done context: %v", err)
	}
}

// $MEMORY_PRESSURE_WATCH naming the daemon's socket is used.
func TestMemoryPressureWatchSeqpacket(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	t.Setenv("MEMORY_PRESSURE_WATCH", d.path)
	subscribe(t, append(noCgroup(t), tlog(t))...)
	d.accept()
}

// $MEMORY_PRESSURE_WATCH naming a stream socket: systemd's protocol, the
// $MEMORY_PRESSURE_WRITE data first, then a trim per wake-up.
func TestMemoryPressureWatchSystemd(t *testing.T) {
	checkLimitRestored(t)
	path := filepath.Join(t.TempDir(), "sd.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("MEMORY_PRESSURE_WATCH", path)
	t.Setenv("MEMORY_PRESSURE_WRITE", base64.StdEncoding.EncodeToString([]byte("some 150000 1000000\x00")))
	got := make(chan Trim, 1)
	c := subscribe(t, append(noCgroup(t), tlog(t),
		WithHandler(HandlerFunc(func(_ context.Context, tr Trim) uint64 { got <- tr; return 0 })))...)
	ln.SetDeadline(time.Now().Add(testWait))
	conn, err := ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 64)
	conn.SetReadDeadline(time.Now().Add(testWait))
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "some 150000 1000000\x00" {
		t.Fatalf("wrote %q %v", buf[:n], err)
	}
	conn.Write([]byte("\n"))
	if tr := recvChan(t, got, "the trim for the wake-up"); tr.Level != LevelMedium || tr.Reason != "systemd" {
		t.Errorf("%+v", tr)
	}
	if st := c.State(); st.Conn != Subscribed || !st.Systemd {
		t.Errorf("state %+v", st)
	}
}

// A relative $MEMORY_PRESSURE_WATCH is a configuration error: not used,
// said once; the limit still follows the cgroup.
func TestMemoryPressureWatchInvalid(t *testing.T) {
	checkLimitRestored(t)
	t.Setenv("MEMORY_PRESSURE_WATCH", "run/mpd.sock")
	logs := &logCounter{}
	c := subscribe(t, append(noCgroup(t), WithLogger(logs))...)
	waitFor(t, "the failure", func() bool { return c.State().Conn == Failed })
	if st := c.State(); !errors.Is(st.Err, ErrConfig) || logs.count("MEMORY_PRESSURE_WATCH") != 1 {
		t.Errorf("state %+v, lines %q", st, logs.snapshot())
	}
}

func TestPeerAllowed(t *testing.T) {
	for _, c := range []struct {
		uid, self uint32
		ok        bool
	}{{0, 1000, true}, {1000, 1000, true}, {1001, 1000, false}, {65534, 0, false}, {0, 0, true}} {
		if peerAllowed(c.uid, c.self) != c.ok {
			t.Errorf("peer uid %d, self %d: %v", c.uid, c.self, !c.ok)
		}
	}
}

// A listener that is neither root nor this user is not obeyed: the client
// says so once and does not retry.  (Root only: the listener is made with
// another effective uid, which SO_PEERCRED reports.)
func TestUntrustedListenerRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to listen as another user")
	}
	checkLimitRestored(t)
	// A directory the other user can create its socket in.
	dir, err := os.MkdirTemp("", "mp-squatter")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	path := filepath.Join(dir, "squatter.sock")
	if err := syscall.Setresuid(-1, 65534, -1); err != nil {
		t.Skipf("setresuid: %v", err)
	}
	ln, lerr := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err := syscall.Setresuid(-1, 0, -1); err != nil {
		t.Fatalf("cannot become root again: %v", err)
	}
	if lerr != nil {
		t.Fatal(lerr)
	}
	defer ln.Close()
	logs := &logCounter{}
	dialer := &countingDialer{}
	c := subscribe(t, append(noCgroup(t), WithSocket(path), WithLogger(logs), WithDialer(dialer))...)
	waitFor(t, "the refusal", func() bool { return c.State().Conn == Failed })
	time.Sleep(600 * time.Millisecond)
	if st := c.State(); !errors.Is(st.Err, ErrUntrustedPeer) || !strings.Contains(st.Err.Error(), "uid 65534") {
		t.Errorf("state %+v", st)
	}
	if n := dialer.count(); n != 1 {
		t.Errorf("%d connections", n)
	}
	if n := logs.count("not trusted"); n != 1 {
		t.Errorf("%q", logs.snapshot())
	}
}

// The runtime handler asks its shrinkers and reports what the runtime
// gave back, measured, with one collection.
func TestRuntimeHandlerMeasures(t *testing.T) {
	debug.FreeOSMemory() // the garbage of the tests before is not this one's
	held := holdLive(64)
	var asked uint64
	h := NewRuntimeHandler()
	h.Register(ShrinkerFunc(func(_ context.Context, l Level, want uint64) uint64 {
		asked = want
		held = nil
		return 64 << 20
	}))
	runtime.KeepAlive(held)
	forced := forcedCycles()
	freed := h.Trim(context.Background(), Trim{Level: LevelMedium, WantBytes: 32 << 20})
	if n := forcedCycles() - forced; n != 1 {
		t.Errorf("%d collections for one trim", n)
	}
	if asked != 32<<20 {
		t.Errorf("shrinker asked for %d", asked)
	}
	if freed < 48<<20 || freed > 80<<20 {
		t.Errorf("measured %d bytes freed for 64 MiB dropped", freed)
	}
	if h.Trim(context.Background(), Trim{Level: LevelCritical}) > 16<<20 {
		t.Error("nothing left to free, yet much was measured")
	}
	if asked != math.MaxUint64 {
		t.Errorf("at critical the shrinker was asked for %d", asked)
	}
}

func forcedCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// A collection that does not fit in the time left is not waited for: it
// runs after the handler has returned.
func TestRuntimeHandlerDoesWhatFits(t *testing.T) {
	h := NewRuntimeHandler()
	// Nothing to judge by: under a deadline the first one runs late,
	// without one it runs at once.
	ctx0, cancel0 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel0()
	if h.collectionFits(ctx0, 1<<20) {
		t.Error("a first collection judged to fit before a deadline")
	}
	if !h.collectionFits(context.Background(), 1<<20) {
		t.Error("a first collection without a deadline judged not to fit")
	}
	// The last one took 100 s: none fits in 10.
	h.gcTook, h.gcHeap = 100*time.Second, readRuntimeMemory().objects
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	forced := forcedCycles()
	h.Trim(ctx, Trim{Level: LevelMedium, WantBytes: 1})
	waitFor(t, "the late collection", func() bool { h.mu.Lock(); defer h.mu.Unlock(); return !h.late })
	if n := forcedCycles() - forced; n != 1 {
		t.Errorf("%d collections for one trim", n)
	}
	forced = forcedCycles()
	// No deadline, or a fast one: one collection.
	h.gcTook = time.Millisecond
	h.Trim(ctx, Trim{Level: LevelMedium, WantBytes: 1})
	if n := forcedCycles() - forced; n != 1 {
		t.Errorf("%d collections", n)
	}
}

// With a live goal, the shrinkers are asked for what more must go for the
// heap to fit it.
func TestRuntimeHandlerFitsTheLiveGoal(t *testing.T) {
	held := holdLive(32)
	runtime.GC()
	recordExactLive()
	var asked uint64
	h := NewRuntimeHandler(ShrinkerFunc(func(_ context.Context, l Level, want uint64) uint64 {
		asked = want
		return want
	}))
	h.Trim(context.Background(), Trim{Level: LevelLow, WantBytes: 1 << 20, LiveGoalBytes: 8 << 20})
	if asked < 1<<20+24<<20 || asked > 1<<20+40<<20 {
		t.Errorf("asked for %d with 32 MiB live and a goal of 8 MiB", asked)
	}
	runtime.KeepAlive(held)
}

// Subscribed and idle, the client is one goroutine parked on the socket
// (the runtime's netpoller), the callbacks' and the closer's waiting on
// channels; nothing else.
func TestIdleCostsNothing(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	before := runtime.NumGoroutine()
	c := subscribe(t, append(noCgroup(t), WithSocket(d.path), tlog(t),
		WithMemoryLimit(MemoryLimit{RefreshInterval: -1}))...)
	d.welcome(1 << 30)
	waitFor(t, "subscribed", func() bool { return c.State().Conn == Subscribed })
	deadline := time.Now().Add(testWait)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var ours []string
		io := 0
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "mempressure.(*Client)") || strings.Contains(g, "mempressure.Subscribe") {
				ours = append(ours, g)
				if strings.Contains(g, "[IO wait") && strings.Contains(g, "(*Client).read") {
					io++
				}
			}
		}
		if len(ours) == 3 && io == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client's goroutines:\n%s", strings.Join(ours, "\n\n"))
		}
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine() - before; n != 3 {
		t.Errorf("%d goroutines more than before Subscribe", n)
	}
	// The figure behind "costs nothing": CPU of the whole test process
	// over a second of idle subscription (the structure above is the check).
	var r0, r1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	time.Sleep(time.Second)
	syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
	t.Logf("idle subscription: %v of CPU in 1 s, for the whole test process", cpu)
}

// A daemon that refuses the client: one log line naming its reason, and
// the client tries again (a restarted daemon may take it), unless the
// reason is one a retry cannot mend.
func TestRefusal(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	logs := &logCounter{}
	c := subscribe(t, append(noCgroup(t), WithSocket(d.path), WithLogger(logs))...)
	conn, _ := d.accept()
	d.send(conn, "msg=error reason=cgroup")
	d.welcome(1 << 30) // within the first backoff
	waitFor(t, "subscribed", func() bool { return c.State().Conn == Subscribed })
	if lines := logs.snapshot(); len(lines) != 2 || !strings.Contains(lines[0], "refused the client") ||
		!strings.Contains(lines[0], "reason cgroup") {
		t.Errorf("%d log lines: %q", len(lines), lines)
	}

	d2 := newFakeDaemon(t, "")
	c2 := subscribe(t, append(noCgroup(t), WithSocket(d2.path), WithLogger(logs))...)
	conn, _ = d2.accept()
	d2.send(conn, "msg=error reason=version")
	waitFor(t, "the failure", func() bool { return c2.State().Conn == Failed })
	if st := c2.State(); !errors.Is(st.Err, ErrRefused) {
		t.Errorf("state %+v", st)
	}
}

// A handler that panics has freed nothing: the trim is answered with 0 and
// the next one is served.
func TestPanickingHandlerAnswersZero(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	calls := 0
	subscribe(t, append(noCgroup(t), WithSocket(d.path), tlog(t),
		WithHandler(HandlerFunc(func(context.Context, Trim) uint64 {
			if calls++; calls == 1 {
				panic("cache corrupt")
			}
			return 4096
		})))...)
	conn := d.welcome(1 << 30)
	for id, want := range []uint64{0, 4096} {
		d.send(conn, fmt.Sprintf("msg=trim id=%d level=low reason=level want_bytes=4096 deadline_ms=1000 cgroup=/ pid=1", id))
		r := d.recv(conn)
		if f, err := r.u64(keyFreed); r.name != msgTrimmed || err != nil || f != want {
			t.Errorf("trim %d: reply %+v, want freed %d", id, r, want)
		}
	}
}

// After the daemon restarts, the new welcome's soft limit sets the memory
// limit again: the cgroup's limits may have moved meanwhile.
func TestLimitFollowsAcrossReconnect(t *testing.T) {
	checkLimitRestored(t)
	d := newFakeDaemon(t, "")
	changes := make(chan LimitChange, 8)
	subscribe(t, append(noCgroup(t), WithSocket(d.path), tlog(t),
		WithMemoryLimit(MemoryLimit{OnChange: func(l LimitChange) { changes <- l }}))...)
	conn := d.welcome(512 << 20)
	if l := recvChan(t, changes, "a change"); l.LimitBytes != 512<<20/100*90 {
		t.Errorf("first welcome: %+v", l)
	}
	d.ln.Close()
	conn.Close()
	d2 := newFakeDaemon(t, d.path)
	d2.welcome(256 << 20)
	if l := recvChan(t, changes, "the new welcome's limit"); l.LimitBytes != 256<<20/100*90 {
		t.Errorf("welcome after the restart: %+v", l)
	}
}
