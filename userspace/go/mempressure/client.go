// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// Trim asks the service to give memory back (a trim message).
type Trim struct {
	ID        uint64
	Level     Level  // a trim without a level, or with one this package does not know, is LevelLow
	Reason    string // "soft", "level", "leak"; "systemd" for a wake on systemd's socket
	WantBytes uint64 // about this much; 0 when the daemon did not say
	// Deadline is the handler's context's: a little before the daemon's,
	// to leave time for the reply.
	Deadline time.Time
	// MemoryLimitBytes is the Go memory limit the client holds (0: it
	// does not manage it).
	MemoryLimitBytes int64
	// LiveGoalBytes is what the live heap should shrink to for the memory
	// limit to hold without the GC running too often (0: no goal); the
	// runtime handler asks its shrinkers for the difference.
	LiveGoalBytes uint64
	Cgroup        string
	PID           int
}

// A Handler frees memory for a trim and returns the bytes it freed; the
// client sends that back to mempressured (trimmed).  ctx carries the
// trim's deadline and is cancelled by Close.  A handler that has not
// returned by then is answered for (see Subscribe).
type Handler interface {
	Trim(ctx context.Context, t Trim) (freedBytes uint64)
}

// HandlerFunc lets a function be a Handler.
type HandlerFunc func(ctx context.Context, t Trim) uint64

// Trim calls f.
func (f HandlerFunc) Trim(ctx context.Context, t Trim) uint64 { return f(ctx, t) }

// LevelChange is a level message: the cgroup's pressure level changed, or,
// with Reason "limit", the level stayed and the soft limit moved.
type LevelChange struct {
	Cgroup          string
	Level, OldLevel Level
	Reason          string // "usage", "psi", "high", "max", "oom", "calm", "limit"
	SoftLimitBytes  uint64 // the soft limit now; 0 from a daemon that does not say
}

// ConnState is where the client's connection to mempressured stands.
type ConnState int

const (
	// Connecting: not subscribed yet, nothing has failed.
	Connecting ConnState = iota
	// Subscribed: the daemon welcomed the client (or, on systemd's
	// stream socket, the connection is up).
	Subscribed
	// Disconnected: the daemon cannot be reached, or was lost; the client
	// retries in the background (State.Err says why).
	Disconnected
	// Failed: a configuration error (State.Err); the client does not
	// retry, and keeps the memory limit following the cgroup.
	Failed
	// Closed: Close was called, or Subscribe's context ended.
	Closed
)

func (s ConnState) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Subscribed:
		return "subscribed"
	case Disconnected:
		return "disconnected"
	case Failed:
		return "failed"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// State is what the client knows now (Client.State).
type State struct {
	Conn    ConnState
	Err     error  // why the client is not subscribed; nil while it is
	Socket  string // the daemon's socket
	Systemd bool   // the socket speaks systemd's memory-pressure protocol
	Cgroup  string // the cgroup, as mempressured names it
	Level   Level  // the cgroup's level, as mempressured last said
	// MemoryLimitBytes is GOMEMLIMIT now (debug.SetMemoryLimit(-1)).
	MemoryLimitBytes int64
	// Limit is the client's last computation of the memory limit (zero
	// when it does not manage it); Limit.UnmetBytes > 0 says the limits
	// cannot be kept without running the GC back to back.
	Limit LimitChange
}

// Retries of the connection: from minBackoff, doubling, up to maxBackoff.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// Client is a subscription.  Its goroutine waits on the socket while
// nothing happens, waking only at the memory limit's RefreshInterval;
// callbacks run one at a time on a second goroutine, and a third closes
// the connection when the subscription's context ends.
type Client struct {
	cfg     config
	ctx     context.Context
	cancel  context.CancelFunc
	lim     *limiter // nil: GOMEMLIMIT is left alone
	path    string
	sdWrite []byte // $MEMORY_PRESSURE_WRITE, decoded, for a stream socket
	pathErr error  // the socket cannot be used as configured

	jobs  chan func() // callbacks, in order
	wakeC chan struct{}
	ended chan struct{}

	// The client's goroutine only.
	nextRefresh time.Time
	outage      bool // a line said the daemon cannot be used; none said it can again
	quirks      map[string]bool

	mu    sync.Mutex
	conn  net.Conn
	state State
}

// Subscribe starts a subscription to mempressured and returns at once; it
// fails only for an option it cannot use (ErrInvalidOption) or a ctx that
// is already done.  Before it returns, GOMEMLIMIT follows the cgroup's
// limits (unless WithoutMemoryLimit).
//
// In the background the client connects, serves the daemon's messages and
// reconnects when the daemon restarts (after 250 ms, doubling to 30 s).
// Failures are logged once per outage and shown by State: a daemon that
// cannot be reached, or that accepts and never welcomes, is retried; a
// configuration error (the socket is not a socket, no permission, its
// listener is neither root nor this user) is not.  Without the daemon the
// client goes on keeping the memory limit at the cgroup's.
//
// Callbacks (the Handler, OnLevel, MemoryLimit.OnChange) run one at a
// time, in order, on a goroutine of the client's.  A handler gets a
// context with the trim's deadline; if it has not returned shortly after,
// the client answers for it with what the runtime measured it free so far
// and drops its result.  A handler that panics has freed nothing.
//
// The subscription lasts until Close, or until ctx is done.
func Subscribe(ctx context.Context, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, invalid("nil option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.limit != nil {
		if err := WithMemoryLimit(*cfg.limit)(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Client{cfg: cfg, jobs: make(chan func(), 16), wakeC: make(chan struct{}, 1),
		ended: make(chan struct{}), quirks: make(map[string]bool)}
	c.ctx, c.cancel = context.WithCancel(ctx)
	c.path, c.sdWrite, c.pathErr = c.socketPath()
	c.state = State{Conn: Connecting, Socket: c.path}
	if cfg.limit != nil {
		c.lim = newLimiter(*cfg.limit, newCgroupFS(cfg.cgroupRoot, cfg.selfCgroup),
			cfg.logger.Printf, c.wake)
		c.evaluate()
	}
	go c.callbacks()
	go func() {
		<-c.ctx.Done()
		c.mu.Lock()
		if c.conn != nil {
			c.conn.Close()
		}
		c.mu.Unlock()
	}()
	go c.run()
	return c, nil
}

// socketPath: the configured socket, else $MEMORY_PRESSURE_WATCH when it
// names a socket (or a path that does not exist yet), else the default.
func (c *Client) socketPath() (string, []byte, error) {
	if c.cfg.socket != "" {
		return c.cfg.socket, nil, nil
	}
	w := os.Getenv("MEMORY_PRESSURE_WATCH")
	if w == "" || w == "/dev/null" {
		return DefaultSocket, nil, nil
	}
	if err := checkSocketPath(w); err != nil {
		return w, nil, wrapErr(ErrConfig, err, "$MEMORY_PRESSURE_WATCH")
	}
	if st, err := os.Stat(w); err == nil && st.Mode()&os.ModeSocket == 0 {
		c.cfg.logger.Printf("mempressure: $MEMORY_PRESSURE_WATCH=%s is not a socket (this package serves no PSI file), using %s",
			w, DefaultSocket)
		return DefaultSocket, nil, nil
	}
	var write []byte
	if wr := os.Getenv("MEMORY_PRESSURE_WRITE"); wr != "" {
		var err error
		if write, err = base64.StdEncoding.DecodeString(wr); err != nil {
			return w, nil, wrapErr(ErrConfig, err, "$MEMORY_PRESSURE_WRITE")
		}
	}
	return w, write, nil
}

// Close ends the subscription: a running handler's context is cancelled,
// no callback starts from now on, the connection is closed, and the memory
// limit is given back (the limit others set is put back when no client
// wants one any more, unless someone else has moved it since).  It waits,
// until ctx is done, for the client's goroutine, which never waits for a
// callback once closed: Close may be called from any callback, and does
// not wait for one that is running.  Calling it again does nothing.
func (c *Client) Close(ctx context.Context) error {
	c.cancel()
	select {
	case <-c.ended:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mempressure: close: %w", ctx.Err())
	}
}

// State is what the client knows now: for a readiness probe, the log of a
// service, a test.
func (c *Client) State() State {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	st.MemoryLimitBytes = debug.SetMemoryLimit(-1)
	return st
}

func (c *Client) setConn(s ConnState, err error) {
	c.mu.Lock()
	c.state.Conn, c.state.Err = s, err
	c.mu.Unlock()
}

// post queues a callback; false if the client closed, or @until fired,
// first.
func (c *Client) post(job func(), until <-chan time.Time) bool {
	select {
	case c.jobs <- job:
		return true
	case <-c.ctx.Done():
	case <-until:
	}
	return false
}

// callbacks runs the queued callbacks, in order, until the client closes.
func (c *Client) callbacks() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case job := <-c.jobs:
			if c.ctx.Err() != nil {
				return
			}
			job()
		}
	}
}

// wake asks the client's goroutine to evaluate the memory limit again
// (from the GC watch).  The token first, then the deadline: the goroutine
// sets its deadline before it looks for a token, so one of the two
// reaches it.
func (c *Client) wake() {
	select {
	case c.wakeC <- struct{}{}:
	default:
	}
	c.mu.Lock()
	if c.conn != nil {
		c.conn.SetReadDeadline(time.Now())
	}
	c.mu.Unlock()
}

// evaluate moves the memory limit (client's goroutine, and Subscribe).
func (c *Client) evaluate() {
	if c.lim == nil {
		return
	}
	ch, changed := c.lim.evaluate()
	if iv := c.lim.opts.RefreshInterval; iv > 0 {
		c.nextRefresh = time.Now().Add(iv)
	}
	c.mu.Lock()
	c.state.Limit = ch
	c.mu.Unlock()
	if f := c.lim.opts.OnChange; changed && f != nil {
		c.post(func() { c.guard("OnChange", func() { f(ch) }) }, nil)
	}
}

// quirk logs a line once per client (something odd, not an outage).
func (c *Client) quirk(key, format string, args ...interface{}) {
	if !c.quirks[key] {
		c.quirks[key] = true
		c.cfg.logger.Printf(format, args...)
	}
}

// guard runs a callback; a panic in it is logged and goes no further.
func (c *Client) guard(what string, f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.cfg.logger.Printf("mempressure: %s panicked: %v", what, r)
			ok = false
		}
	}()
	f()
	return true
}

func (c *Client) run() {
	defer close(c.ended)
	defer func() {
		if c.lim != nil {
			c.lim.release()
		}
		c.setConn(Closed, ErrClosed)
	}()
	if c.pathErr != nil {
		c.fail(c.pathErr)
		return
	}
	backoff := minBackoff
	for {
		served, err := c.session()
		if c.ctx.Err() != nil {
			return
		}
		if permanent(err) {
			c.fail(err)
			return
		}
		c.setConn(Disconnected, err)
		if !c.outage {
			c.outage = true
			c.cfg.logger.Printf("%v; retrying in the background", err)
		}
		if served {
			backoff = minBackoff
		}
		if !c.idle(time.Now().Add(backoff)) {
			return
		}
		if backoff *= 2; backoff > maxBackoff {
			backoff = maxBackoff
		}
	}
}

// fail: a configuration error.  Said once; the memory limit goes on
// following the cgroup until the client closes.
func (c *Client) fail(err error) {
	c.setConn(Failed, err)
	what := "nothing more to do"
	if c.lim != nil {
		what = "GOMEMLIMIT still follows the cgroup"
	}
	c.cfg.logger.Printf("%v; not retrying: %s", err, what)
	c.idle(time.Time{})
}

// idle waits until @until (zero: until the client closes), keeping the
// memory limit meanwhile; false if the client closed.
func (c *Client) idle(until time.Time) bool {
	for {
		wait := until
		if !c.nextRefresh.IsZero() && (wait.IsZero() || c.nextRefresh.Before(wait)) {
			wait = c.nextRefresh
		}
		var timer *time.Timer
		var fired <-chan time.Time
		if !wait.IsZero() {
			timer = time.NewTimer(time.Until(wait))
			fired = timer.C
		}
		woken := false
		select {
		case <-c.ctx.Done():
		case <-c.wakeC:
			woken = true
		case <-fired:
		}
		if timer != nil {
			timer.Stop()
		}
		if c.ctx.Err() != nil {
			return false
		}
		now := time.Now()
		if woken || (!c.nextRefresh.IsZero() && !now.Before(c.nextRefresh)) {
			c.evaluate()
		}
		if !until.IsZero() && !now.Before(until) {
			return true
		}
	}
}

var errWelcomeTimeout = errors.New("no welcome in time")

// dial connects to the daemon's socket: SOCK_SEQPACKET for the protocol,
// or, if the socket is a stream one, systemd's protocol.  It checks the
// listener.
func (c *Client) dial() (net.Conn, bool, error) {
	systemd := false
	conn, err := c.cfg.dialer.DialContext(c.ctx, "unixpacket", c.path)
	if errors.Is(err, syscall.EPROTOTYPE) {
		systemd = true
		conn, err = c.cfg.dialer.DialContext(c.ctx, "unix", c.path)
	}
	if err != nil {
		return nil, false, c.dialError(err)
	}
	if err := checkPeer(conn); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("%s: %w", c.path, err)
	}
	return conn, systemd, nil
}

// dialError: what a failed connect means.  Nothing listening (yet) is
// worth retrying; no permission, or a path that is not a socket, is not.
func (c *Client) dialError(err error) error {
	switch {
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM),
		errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG),
		errors.Is(err, syscall.EINVAL):
		return wrapErr(ErrConfig, err, "%s", c.path)
	case errors.Is(err, syscall.ECONNREFUSED):
		if st, serr := os.Stat(c.path); serr == nil && st.Mode()&os.ModeSocket == 0 {
			return wrapErr(ErrConfig, nil, "%s is not a socket", c.path)
		}
	}
	return wrapErr(ErrUnreachable, err, "%s", c.path)
}

// session: one connection, from dial to its end; served: the daemon
// welcomed the client.
func (c *Client) session() (served bool, err error) {
	conn, systemd, err := c.dial()
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	if c.ctx.Err() != nil {
		c.mu.Unlock()
		conn.Close()
		return false, ErrClosed
	}
	c.conn = conn
	c.state.Systemd = systemd
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
		conn.Close()
	}()
	if systemd {
		return c.serveSystemd(conn)
	}
	hello, err := encode(msgHello, keyVersion, u64s(protocolVersion), keyName, c.cfg.name)
	if err != nil {
		return false, wrapErr(ErrConfig, err, "name") // WithName checks it: not reached
	}
	if _, err := conn.Write(hello); err != nil {
		return false, wrapErr(ErrUnreachable, err, "%s", c.path)
	}
	buf := make([]byte, msgMax+1)
	m, err := c.read(conn, buf, time.Now().Add(c.cfg.welcomeAfter))
	switch {
	case errors.Is(err, errWelcomeTimeout):
		return false, wrapErr(ErrNoWelcome, nil, "%s: none within %v", c.path, c.cfg.welcomeAfter)
	case err != nil:
		return false, wrapErr(ErrUnreachable, err, "%s", c.path)
	case m.name == msgError:
		return false, refusal(c.path, m)
	case m.name != msgWelcome:
		return false, wrapErr(ErrUnreachable, errMalformed, "%s: %q before the welcome", c.path, m.name)
	}
	c.mu.Lock()
	c.state.Conn, c.state.Err = Subscribed, nil
	c.state.Cgroup, _ = m.get(keyCgroup)
	if l, ok := m.get(keyLevel); ok {
		c.state.Level, _ = parseLevel(l)
	}
	c.mu.Unlock()
	if c.outage {
		c.outage = false
		c.cfg.logger.Printf("mempressure: subscribed to mempressured at %s", c.path)
	}
	if soft, err := m.u64(keySoftLimit); err == nil && soft != 0 && c.lim != nil {
		c.lim.soft = soft
		c.evaluate()
	}
	for {
		m, err := c.read(conn, buf, time.Time{})
		if err != nil {
			return true, wrapErr(ErrLost, err, "%s", c.path)
		}
		if err := c.handle(conn, m); err != nil {
			return true, err
		}
	}
}

// errRefusedForGood: a refusal a retry cannot mend.
var errRefusedForGood = errors.New("a retry cannot mend this")

func refusal(path string, m *message) error {
	reason, _ := m.get(keyReason)
	var cause error
	if reason == "version" || reason == "permission" || reason == "malformed" {
		cause = errRefusedForGood
	}
	return wrapErr(ErrRefused, cause, "%s: reason %s", path, reason)
}

// read returns the next message (see recv).
func (c *Client) read(conn net.Conn, buf []byte, until time.Time) (*message, error) {
	n, err := c.recv(conn, buf, until)
	if err != nil {
		return nil, err
	}
	m, err := parseMessage(buf[:n])
	if err != nil {
		return nil, fmt.Errorf("from mempressured: %w", err)
	}
	return m, nil
}

// recv waits for the next packet (on a stream socket: bytes), keeping the
// memory limit meanwhile (at RefreshInterval, and when the GC watch wakes
// it); with @until, errWelcomeTimeout once that has passed.
func (c *Client) recv(conn net.Conn, buf []byte, until time.Time) (int, error) {
	for {
		deadline := until
		if !c.nextRefresh.IsZero() && (deadline.IsZero() || c.nextRefresh.Before(deadline)) {
			deadline = c.nextRefresh
		}
		conn.SetReadDeadline(deadline)
		select {
		case <-c.wakeC:
			c.evaluate()
			continue
		default:
		}
		n, err := conn.Read(buf)
		if err == nil {
			if n == 0 {
				return 0, errors.New("connection closed")
			}
			return n, nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) || c.ctx.Err() != nil {
			return 0, err
		}
		now := time.Now()
		if !c.nextRefresh.IsZero() && !now.Before(c.nextRefresh) {
			c.evaluate()
		}
		if !until.IsZero() && !now.Before(until) {
			return 0, errWelcomeTimeout
		}
	}
}

// handle acts on one message from the daemon.  Unknown messages are a
// newer daemon's: ignored.
func (c *Client) handle(conn net.Conn, m *message) error {
	switch m.name {
	case msgLevel:
		ev := LevelChange{}
		ev.Cgroup, _ = m.get(keyCgroup)
		l, _ := m.get(keyLevel)
		old, _ := m.get(keyOldLevel)
		lvl, ok := parseLevel(l)
		ev.Level = lvl
		ev.OldLevel, _ = parseLevel(old)
		ev.Reason, _ = m.get(keyReason)
		if soft, err := m.u64(keySoftLimit); err == nil && soft != 0 {
			ev.SoftLimitBytes = soft
			if c.lim != nil {
				c.lim.soft = soft
				c.evaluate()
			}
		}
		if !ok {
			c.quirk("level", "mempressure: a level message with level %q, which this package does not know: ignored", l)
			return nil
		}
		c.mu.Lock()
		c.state.Level = lvl
		c.mu.Unlock()
		if f := c.cfg.onLevel; f != nil {
			c.post(func() { c.guard("OnLevel", func() { f(ev) }) }, nil)
		}
	case msgTrim:
		return c.serveTrim(conn, m)
	case msgError:
		return refusal(c.path, m)
	}
	return nil
}

// replyMargin: how long before the daemon's deadline the handler's ends;
// the client answers for a late handler halfway through the margin.
func replyMargin(deadline time.Duration) time.Duration {
	m := deadline / 10
	if m < 5*time.Millisecond {
		m = 5 * time.Millisecond
	}
	if m > 100*time.Millisecond {
		m = 100 * time.Millisecond
	}
	return m
}

func (c *Client) serveTrim(conn net.Conn, m *message) error {
	received := time.Now()
	id, err := m.u64(keyID)
	if err != nil {
		return wrapErr(ErrLost, errMalformed, "%s: %v", c.path, err)
	}
	deadline := defaultDeadline
	if ms, err := m.u64(keyDeadline); err == nil {
		deadline = time.Duration(ms) * time.Millisecond
	} else {
		c.quirk("deadline", "mempressure: a trim without a deadline_ms: taken as %v", defaultDeadline)
	}
	margin := replyMargin(deadline)
	t := Trim{ID: id, Deadline: received.Add(deadline - margin)}
	l, _ := m.get(keyLevel)
	var ok bool
	if t.Level, ok = parseLevel(l); !ok || t.Level == LevelNone {
		c.quirk("trimlevel", "mempressure: a trim with level %q: taken as low", l)
		t.Level = LevelLow
	}
	t.Reason, _ = m.get(keyReason)
	t.WantBytes, _ = m.u64(keyWant)
	t.Cgroup, _ = m.get(keyCgroup)
	if pid, err := m.u64(keyPID); err == nil {
		t.PID = int(pid)
	}
	if c.lim != nil {
		t.MemoryLimitBytes = c.lim.last.LimitBytes
		t.LiveGoalBytes = c.lim.liveGoal()
	}
	freed := c.runHandler(t, received.Add(deadline-margin/2))
	// The reply first: the evaluation reads the cgroup's files, which
	// can take longer than the deadline leaves (memory.stat's flush on a
	// debug kernel).  unmet_bytes is the last evaluation's, which the GC
	// watch keeps fresh.
	kv := []string{keyID, u64s(id), keyFreed, u64s(freed)}
	if c.lim != nil {
		kv = append(kv, keyUnmet, u64s(c.lim.last.UnmetBytes))
	}
	reply, err := encode(msgTrimmed, kv...)
	if err != nil {
		return err
	}
	if _, err := conn.Write(reply); err != nil {
		return wrapErr(ErrLost, err, "%s", c.path)
	}
	c.evaluate()
	return nil
}

// runHandler runs the handler on the callbacks' goroutine and waits for
// it until @replyBy; a handler still running then is answered for with
// the fall of the runtime's memory so far.
func (c *Client) runHandler(t Trim, replyBy time.Time) uint64 {
	h := c.cfg.handler
	if h == nil {
		return 0
	}
	before := readRuntimeMemory().resident()
	ctx, cancel := context.WithDeadline(c.ctx, t.Deadline)
	defer cancel()
	result := make(chan uint64, 1)
	timer := time.NewTimer(time.Until(replyBy))
	defer timer.Stop()
	job := func() {
		var freed uint64
		if ctx.Err() == nil {
			c.guard("the trim handler", func() { freed = h.Trim(ctx, t) })
		}
		result <- freed
	}
	if c.post(job, timer.C) {
		select {
		case freed := <-result:
			return freed
		case <-timer.C:
		case <-c.ctx.Done():
			return 0
		}
	}
	c.quirk("late", "mempressure: the trim handler had not returned by its deadline: answered with what the runtime had freed by then (said once)")
	return sub(before, readRuntimeMemory().resident())
}

// serveSystemd: each time the socket becomes readable is a wake-up; what
// arrived is read and discarded, as sd-event does.
func (c *Client) serveSystemd(conn net.Conn) (bool, error) {
	if len(c.sdWrite) > 0 {
		if _, err := conn.Write(c.sdWrite); err != nil {
			return false, wrapErr(ErrUnreachable, err, "%s", c.path)
		}
	}
	c.setConn(Subscribed, nil)
	if c.outage {
		c.outage = false
		c.cfg.logger.Printf("mempressure: connected to the memory-pressure socket at %s", c.path)
	}
	buf := make([]byte, 64)
	for {
		if _, err := c.recv(conn, buf, time.Time{}); err != nil {
			return true, wrapErr(ErrLost, err, "%s", c.path)
		}
		now := time.Now()
		t := Trim{Level: LevelMedium, Reason: "systemd",
			Deadline: now.Add(defaultDeadline - replyMargin(defaultDeadline))}
		if c.lim != nil {
			t.MemoryLimitBytes = c.lim.last.LimitBytes
			t.LiveGoalBytes = c.lim.liveGoal()
		}
		c.runHandler(t, now.Add(defaultDeadline-replyMargin(defaultDeadline)/2))
		c.evaluate()
	}
}
