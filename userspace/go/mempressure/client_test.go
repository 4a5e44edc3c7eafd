// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"encoding/base64"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"runtime/debug"
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

// logCounter is an Options.Logf that counts its lines.
type logCounter struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCounter) logf(format string, args ...interface{}) {
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

func TestTrimHandlerAndReply(t *testing.T) {
	d := newFakeDaemon(t, "")
	got := make(chan Trim, 1)
	c := Subscribe(Options{Name: "go test", Socket: d.path, Logf: t.Logf,
		Handler: HandlerFunc(func(tr Trim) uint64 { got <- tr; return 9437184 })})
	defer c.Close()
	conn, hello := d.accept()
	if v, _ := hello.get(keyVersion); v != "1" {
		t.Errorf("hello version %q", v)
	}
	if v, _ := hello.get(keyName); v != "go test" {
		t.Errorf("hello name %q", v)
	}
	d.send(conn, "msg=welcome version=1 pid=412 cgroup=/app level=none soft_limit_bytes=71303168")
	sent := time.Now()
	d.send(conn, "msg=trim id=7 level=medium reason=soft want_bytes=8388608 deadline_ms=500 cgroup=/app pid=412")
	reply := d.recv(conn)
	tr := <-got
	if tr.ID != 7 || tr.Level != LevelMedium || tr.Reason != "soft" || tr.WantBytes != 8388608 ||
		tr.Cgroup != "/app" || tr.PID != 412 {
		t.Errorf("trim %+v", tr)
	}
	if dl := tr.Deadline.Sub(sent); dl < 400*time.Millisecond || dl > 600*time.Millisecond+testWait/10 {
		t.Errorf("deadline %v after the send", dl)
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
}

// No handler: a trim is answered with 0 and nothing else happens.
func TestNoHandlerAnswersZero(t *testing.T) {
	d := newFakeDaemon(t, "")
	c := Subscribe(Options{Socket: d.path, Logf: t.Logf})
	defer c.Close()
	conn, _ := d.accept()
	d.send(conn, "msg=welcome version=1 pid=1 cgroup=/ level=none soft_limit_bytes=1")
	d.send(conn, "msg=trim id=3 level=critical reason=leak want_bytes=4096 deadline_ms=100 cgroup=/ pid=1")
	r := d.recv(conn)
	if f, err := r.u64(keyFreed); r.name != msgTrimmed || err != nil || f != 0 {
		t.Errorf("reply %+v", r)
	}
	if before := debug.SetMemoryLimit(-1); before != 1<<63-1 {
		t.Errorf("the memory limit was touched: %d", before)
	}
}

// The memory limit follows the soft limit of the welcome and of level
// messages, before OnLevel hears of them; Close puts the old one back.
func TestMemoryLimitFollows(t *testing.T) {
	d := newFakeDaemon(t, "")
	changes := make(chan LimitChange, 8)
	levels := make(chan int64, 8)
	before := debug.SetMemoryLimit(-1)
	c := Subscribe(Options{Socket: d.path, Logf: t.Logf,
		MemoryLimit: &MemoryLimit{HeadroomBytes: 8 << 20,
			OnChange: func(l LimitChange) { changes <- l }},
		OnLevel: func(LevelChange) { levels <- debug.SetMemoryLimit(-1) }})
	conn, _ := d.accept()
	d.send(conn, "msg=welcome version=1 pid=1 cgroup=/app level=none soft_limit_bytes=536870912")
	if l := <-changes; l.SoftLimitBytes != 512<<20 || l.LimitBytes != 504<<20 {
		t.Errorf("welcome: %+v", l)
	}
	d.send(conn, "msg=level cgroup=/app level=low old_level=none reason=usage soft_limit_bytes=268435456")
	if l := <-changes; l.LimitBytes != 248<<20 {
		t.Errorf("level: %+v", l)
	}
	if l := <-levels; l != 248<<20 {
		t.Errorf("OnLevel saw the limit at %d", l)
	}
	// From a daemon that does not say: the limit stays.
	d.send(conn, "msg=level cgroup=/app level=none old_level=low reason=calm")
	if l := <-levels; l != 248<<20 {
		t.Errorf("a level without soft limit moved it to %d", l)
	}
	c.Close()
	if l := debug.SetMemoryLimit(-1); l != before {
		t.Errorf("after Close the limit is %d, was %d", l, before)
	}
}

// A trim (not for a leak) teaches the headroom: the limit drops, the
// handler is told the new one, and a new soft limit starts afresh.
func TestMemoryLimitLearnsFromTrims(t *testing.T) {
	d := newFakeDaemon(t, "")
	changes := make(chan LimitChange, 8)
	told := make(chan int64, 2)
	c := Subscribe(Options{Socket: d.path, Logf: t.Logf,
		Handler: HandlerFunc(func(tr Trim) uint64 { told <- tr.MemoryLimitBytes; return 0 }),
		MemoryLimit: &MemoryLimit{HeadroomBytes: 8 << 20,
			OnChange: func(l LimitChange) { changes <- l }}})
	defer c.Close()
	conn, _ := d.accept()
	d.send(conn, "msg=welcome version=1 pid=1 cgroup=/app level=none soft_limit_bytes=536870912")
	<-changes
	// This process holds far less than 95 % of 512 MiB: the rest of the
	// "cgroup" is taken to be outside the runtime, up to half the soft limit.
	d.send(conn, "msg=trim id=1 level=medium reason=soft want_bytes=4194304 deadline_ms=500 cgroup=/app pid=1")
	d.recv(conn)
	if l, h := <-changes, <-told; l.LimitBytes != 248<<20 || l.TrimBytes != 256<<20 || h != l.LimitBytes {
		t.Errorf("after a trim: %+v, handler told %d", l, h)
	}
	d.send(conn, "msg=trim id=2 level=medium reason=leak want_bytes=4194304 deadline_ms=500 cgroup=/app pid=1")
	d.recv(conn)
	if h := <-told; h != 0 {
		t.Errorf("a leak trim was given a limit: %d", h)
	}
	d.send(conn, "msg=level cgroup=/app level=none old_level=medium reason=calm soft_limit_bytes=268435456")
	if l := <-changes; l.LimitBytes != 248<<20 || l.TrimBytes != 0 {
		t.Errorf("after a new soft limit: %+v", l)
	}
}

func TestPlanTrim(t *testing.T) {
	l := newLimiter(MemoryLimit{HeadroomBytes: 8 << 20})
	l.ceiling = 1<<63 - 1
	l.last, l.set = LimitChange{SoftLimitBytes: 100 << 20}, true
	// Over by 5 MiB with the runtime at 93 MiB: 7 MiB outside, within the headroom.
	if lim := l.planTrim(5<<20, 93<<20); lim != 92<<20 || l.extra != 0 {
		t.Errorf("limit %d, extra %d", lim, l.extra)
	}
	// The runtime at 70 MiB: 30 MiB outside, 22 more than the headroom.
	if lim := l.planTrim(5<<20, 70<<20); lim != 70<<20 || l.extra != 22<<20 {
		t.Errorf("limit %d, extra %d", lim, l.extra)
	}
	// Not learned again: the next trim's own estimate.
	if lim := l.planTrim(5<<20, 93<<20); lim != 92<<20 || l.extra != 0 {
		t.Errorf("limit %d, extra %d", lim, l.extra)
	}
}

func TestLimitRule(t *testing.T) {
	l := newLimiter(MemoryLimit{})
	l.ceiling = 1<<63 - 1
	noLive := func() uint64 { t.Error("live memory measured without need"); return 0 }
	// Room to spare: soft less 10 %.
	if ch := l.compute(100<<20, 10<<20, noLive); ch.LimitBytes != 90<<20 {
		t.Errorf("%+v", ch)
	}
	// Below what is in use: the floor, 5/4 of live memory...
	if ch := l.compute(100<<20, 80<<20, func() uint64 { return 76 << 20 }); ch.LimitBytes != 95<<20 || ch.FloorBytes != 95<<20 {
		t.Errorf("%+v", ch)
	}
	// ...but never above the soft limit.
	if ch := l.compute(40<<20, 64<<20, func() uint64 { return 48 << 20 }); ch.LimitBytes != 40<<20 {
		t.Errorf("%+v", ch)
	}
	// Live memory small after all: soft less headroom.
	if ch := l.compute(40<<20, 64<<20, func() uint64 { return 8 << 20 }); ch.LimitBytes != 36<<20 {
		t.Errorf("%+v", ch)
	}
	// Never below MinBytes.
	if ch := l.compute(4<<20, 1<<20, noLive); ch.LimitBytes != defaultMinLimitBytes {
		t.Errorf("%+v", ch)
	}
	// GOMEMLIMIT from the environment caps it.
	l.ceiling = 50 << 20
	if ch := l.compute(100<<20, 10<<20, noLive); ch.LimitBytes != 50<<20 {
		t.Errorf("%+v", ch)
	}
}

// The daemon goes away and comes back: the client connects again, and
// says it lost the daemon once however many retries it takes.
func TestReconnect(t *testing.T) {
	d := newFakeDaemon(t, "")
	logs := &logCounter{}
	c := Subscribe(Options{Socket: d.path, Logf: logs.logf})
	defer c.Close()
	conn, _ := d.accept()
	d.send(conn, "msg=welcome version=1 pid=1 cgroup=/ level=none soft_limit_bytes=1")
	d.ln.Close()
	conn.Close()
	// Down for a while: several retries.
	time.Sleep(1200 * time.Millisecond)
	d2 := newFakeDaemon(t, d.path)
	conn2, _ := d2.accept()
	d2.send(conn2, "msg=welcome version=1 pid=1 cgroup=/ level=none soft_limit_bytes=1")
	if lines := logs.snapshot(); len(lines) != 1 || !strings.Contains(lines[0], "lost") {
		t.Errorf("%d log lines: %q", len(lines), lines)
	}
}

// No daemon at all: one line, no panic, and Close returns at once.
func TestUnreachableReportedOnce(t *testing.T) {
	logs := &logCounter{}
	c := Subscribe(Options{Socket: filepath.Join(t.TempDir(), "none.sock"), Logf: logs.logf})
	time.Sleep(1200 * time.Millisecond)
	start := time.Now()
	c.Close()
	if time.Since(start) > time.Second {
		t.Errorf("Close took %v", time.Since(start))
	}
	if lines := logs.snapshot(); len(lines) != 1 || !strings.Contains(lines[0], "cannot reach") {
		t.Errorf("%d log lines: %q", len(lines), lines)
	}
}

// $MEMORY_PRESSURE_WATCH naming the daemon's socket is used.
func TestMemoryPressureWatchSeqpacket(t *testing.T) {
	d := newFakeDaemon(t, "")
	t.Setenv("MEMORY_PRESSURE_WATCH", d.path)
	c := Subscribe(Options{Logf: t.Logf})
	defer c.Close()
	d.accept()
}

// $MEMORY_PRESSURE_WATCH naming a stream socket: systemd's protocol, the
// $MEMORY_PRESSURE_WRITE data first, then a trim per wake-up.
func TestMemoryPressureWatchSystemd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sd.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("MEMORY_PRESSURE_WATCH", path)
	t.Setenv("MEMORY_PRESSURE_WRITE", base64.StdEncoding.EncodeToString([]byte("some 150000 1000000\x00")))
	got := make(chan Trim, 1)
	c := Subscribe(Options{Logf: t.Logf, Handler: HandlerFunc(func(tr Trim) uint64 { got <- tr; return 0 })})
	defer c.Close()
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
	select {
	case tr := <-got:
		if tr.Level != LevelMedium || tr.Reason != "systemd" {
			t.Errorf("%+v", tr)
		}
	case <-time.After(testWait):
		t.Fatal("no trim for the wake-up")
	}
}

// The runtime handler asks its shrinkers and reports what the runtime
// gave back, measured.
func TestRuntimeHandlerMeasures(t *testing.T) {
	var held [][]byte
	for i := 0; i < 64; i++ {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = byte(j)
		}
		held = append(held, b)
	}
	var asked uint64
	h := NewRuntimeHandler()
	h.Register(ShrinkerFunc(func(l Level, want uint64) uint64 {
		asked = want
		held = nil
		return 64 << 20
	}))
	freed := h.Trim(Trim{Level: LevelMedium, WantBytes: 32 << 20})
	if asked != 32<<20 {
		t.Errorf("shrinker asked for %d", asked)
	}
	if freed < 48<<20 || freed > 80<<20 {
		t.Errorf("measured %d bytes freed for 64 MiB dropped", freed)
	}
	if h.Trim(Trim{Level: LevelCritical}) > 16<<20 {
		t.Error("nothing left to free, yet much was measured")
	}
	if asked != 1<<64-1 {
		t.Errorf("at critical the shrinker was asked for %d", asked)
	}
}

// Subscribed and idle, the client is one goroutine parked on the socket
// (the runtime's netpoller: no thread, no timer).
func TestIdleIsOneBlockedGoroutine(t *testing.T) {
	d := newFakeDaemon(t, "")
	before := runtime.NumGoroutine()
	c := Subscribe(Options{Socket: d.path, Logf: t.Logf})
	defer c.Close()
	conn, _ := d.accept()
	d.send(conn, "msg=welcome version=1 pid=1 cgroup=/ level=none soft_limit_bytes=1")
	deadline := time.Now().Add(testWait)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var ours []string
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "mempressure.(*Client)") {
				ours = append(ours, g)
			}
		}
		if len(ours) == 1 && strings.Contains(ours[0], "[IO wait") &&
			strings.Contains(ours[0], "(*Client).serve") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client's goroutines:\n%s", strings.Join(ours, "\n\n"))
		}
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine() - before; n != 1 {
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

// With a memory limit to keep, the shrinkers are asked for what more must
// go for live memory to fit in 4/5 of it.
func TestRuntimeHandlerFitsTheLimit(t *testing.T) {
	held := make([][]byte, 32)
	for i := range held {
		held[i] = make([]byte, 1<<20)
		for j := range held[i] {
			held[i][j] = 1
		}
	}
	var asks []uint64
	h := NewRuntimeHandler(ShrinkerFunc(func(l Level, want uint64) uint64 {
		asks = append(asks, want)
		if n := int(want >> 20); len(asks) == 2 && n < len(held) {
			held = held[:len(held)-n]
		}
		return want
	}))
	h.Trim(Trim{Level: LevelLow, WantBytes: 1 << 20, MemoryLimitBytes: 20 << 20})
	if len(asks) != 2 || asks[0] != 1<<20 || asks[1] < 16<<20 || asks[1] > 40<<20 {
		t.Errorf("asked for %v with 32 MiB live and a limit of 20 MiB", asks)
	}
	runtime.KeepAlive(held)
}

// A daemon that refuses the client: one log line naming its reason, and
// the client tries again (a restarted daemon may speak its version).
func TestRefusalIsReportedAndRetried(t *testing.T) {
	d := newFakeDaemon(t, "")
	logs := &logCounter{}
	c := Subscribe(Options{Socket: d.path, Logf: logs.logf})
	defer c.Close()
	conn, _ := d.accept()
	d.send(conn, "msg=error reason=version")
	conn2, _ := d.accept() // within the first backoff
	d.send(conn2, "msg=welcome version=1 pid=1 cgroup=/ level=none soft_limit_bytes=1")
	if lines := logs.snapshot(); len(lines) != 1 || !strings.Contains(lines[0], "refused us: version") {
		t.Errorf("%d log lines: %q", len(lines), lines)
	}
}

// A handler that panics has freed nothing: the trim is answered with 0 and
// the next one is served.
func TestPanickingHandlerAnswersZero(t *testing.T) {
	d := newFakeDaemon(t, "")
	calls := 0
	c := Subscribe(Options{Socket: d.path, Logf: t.Logf,
		Handler: HandlerFunc(func(tr Trim) uint64 {
			if calls++; calls == 1 {
				panic("cache corrupt")
			}
			return 4096
		})})
	defer c.Close()
	conn, _ := d.accept()
	d.send(conn, "msg=welcome version=1 pid=1 cgroup=/ level=none soft_limit_bytes=1")
	for id, want := range []uint64{0, 4096} {
		d.send(conn, fmt.Sprintf("msg=trim id=%d level=low reason=level want_bytes=4096 deadline_ms=100 cgroup=/ pid=1", id))
		r := d.recv(conn)
		if f, err := r.u64(keyFreed); r.name != msgTrimmed || err != nil || f != want {
			t.Errorf("trim %d: reply %+v, want freed %d", id, r, want)
		}
	}
}

// After the daemon restarts, the new welcome's soft limit sets the memory
// limit again: the cgroup's limits may have moved meanwhile.
func TestLimitFollowsAcrossReconnect(t *testing.T) {
	d := newFakeDaemon(t, "")
	changes := make(chan LimitChange, 8)
	c := Subscribe(Options{Socket: d.path, Logf: t.Logf,
		MemoryLimit: &MemoryLimit{HeadroomBytes: 8 << 20,
			OnChange: func(l LimitChange) { changes <- l }}})
	defer c.Close()
	conn, _ := d.accept()
	d.send(conn, "msg=welcome version=1 pid=1 cgroup=/app level=none soft_limit_bytes=536870912")
	if l := <-changes; l.LimitBytes != 504<<20 {
		t.Errorf("first welcome: %+v", l)
	}
	d.ln.Close()
	conn.Close()
	d2 := newFakeDaemon(t, d.path)
	conn2, _ := d2.accept()
	d2.send(conn2, "msg=welcome version=1 pid=1 cgroup=/app level=none soft_limit_bytes=268435456")
	select {
	case l := <-changes:
		if l.LimitBytes != 248<<20 {
			t.Errorf("welcome after the restart: %+v", l)
		}
	case <-time.After(testWait):
		t.Error("the limit did not follow the new daemon's welcome")
	}
}
