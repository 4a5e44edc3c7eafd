// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Trim asks the service to give memory back (a trim message).
type Trim struct {
	ID        uint64
	Level     Level
	Reason    string // "soft", "level", "leak"; "systemd" for a wake on systemd's socket
	WantBytes uint64 // about this much; 0 when the daemon did not say
	Deadline  time.Time
	// MemoryLimitBytes is the Go memory limit the client holds from this
	// trim on (0: it does not manage it).  What stays live should fit in
	// 4/5 of it, or the collector runs back to back (docs/go.md); the
	// runtime handler asks its shrinkers for that much.
	MemoryLimitBytes int64
	Cgroup           string
	PID              int
}

// A Handler frees memory for a trim and returns the bytes it freed; the
// client sends that back to mempressured (trimmed).
type Handler interface {
	Trim(t Trim) (freedBytes uint64)
}

// HandlerFunc lets a function be a Handler.
type HandlerFunc func(t Trim) uint64

// Trim calls f.
func (f HandlerFunc) Trim(t Trim) uint64 { return f(t) }

// LevelChange is a level message: the cgroup's pressure level changed, or,
// with Reason "limit", the level stayed and the soft limit moved.
type LevelChange struct {
	Cgroup          string
	Level, OldLevel Level
	Reason          string // "usage", "psi", "high", "max", "oom", "calm", "limit"
	SoftLimitBytes  uint64 // the soft limit now; 0 from a daemon that does not say
}

// Options of Subscribe.  The zero value subscribes under the program's
// name and answers every trim with 0 bytes, doing nothing.
type Options struct {
	// Name for mempressured's logs and statistics; default: the program's.
	Name string
	// Socket is mempressured's socket.  Default: $MEMORY_PRESSURE_WATCH
	// when it names a socket (or a path that does not exist yet), else
	// DefaultSocket.  A stream socket (mempressured's socket for systemd's
	// memory-pressure protocol) is served the way sd-event does: each
	// wake-up is a trim at level medium with no target and no reply.
	Socket string
	// Handler frees memory on a trim.  nil: nothing is freed, and trims
	// are answered with freed_bytes=0.
	Handler Handler
	// OnLevel, if set, is called for every level message, after the
	// memory limit has followed its soft limit.
	OnLevel func(LevelChange)
	// MemoryLimit, if set, keeps GOMEMLIMIT at the cgroup's soft limit
	// less a headroom (see MemoryLimit).
	MemoryLimit *MemoryLimit
	// Logf reports that mempressured cannot be reached or was lost: once
	// per outage, never per retry.  Default: log.Printf.
	Logf func(format string, args ...interface{})
}

// Retries of the connection: from minBackoff, doubling, up to maxBackoff.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// Client is a subscription.  All of its work is done by one goroutine
// that is blocked reading the socket while nothing happens: no timer runs
// while connected.
type Client struct {
	opts    Options
	path    string
	sdWrite []byte // $MEMORY_PRESSURE_WRITE, decoded, for a stream socket
	limit   *limiter
	// A welcome came on this connection (the client's goroutine only).
	welcomed bool

	mu     sync.Mutex
	conn   net.Conn
	closed bool
	done   chan struct{}
	ended  chan struct{}
}

// Subscribe connects to mempressured in the background and serves its
// messages until Close.  It never fails: when the daemon cannot be
// reached it says so once through Logf and keeps trying, with backoff,
// and it connects again when the daemon restarts.
func Subscribe(opts Options) *Client {
	c := &Client{opts: opts, done: make(chan struct{}), ended: make(chan struct{})}
	if c.opts.Name == "" {
		c.opts.Name = filepath.Base(os.Args[0])
	}
	if c.opts.Logf == nil {
		c.opts.Logf = log.Printf
	}
	c.path = c.opts.Socket
	if c.path == "" {
		c.path = c.watchSocket()
	}
	if opts.MemoryLimit != nil {
		c.limit = newLimiter(*opts.MemoryLimit)
	}
	go c.run()
	return c
}

// watchSocket: $MEMORY_PRESSURE_WATCH if it names a socket, else the default.
func (c *Client) watchSocket() string {
	w := os.Getenv("MEMORY_PRESSURE_WATCH")
	if w == "" || w == "/dev/null" {
		return DefaultSocket
	}
	if st, err := os.Stat(w); err == nil && st.Mode()&os.ModeSocket == 0 {
		c.opts.Logf("mempressure: $MEMORY_PRESSURE_WATCH=%s is not a socket, using %s",
			w, DefaultSocket)
		return DefaultSocket
	}
	if wr := os.Getenv("MEMORY_PRESSURE_WRITE"); wr != "" {
		c.sdWrite, _ = base64.StdEncoding.DecodeString(wr)
	}
	return w
}

// Close ends the subscription, waits for its goroutine and puts back the
// memory limit the process had before.
func (c *Client) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
		if c.conn != nil {
			c.conn.Close()
		}
	}
	c.mu.Unlock()
	<-c.ended
	if c.limit != nil {
		c.limit.restore()
	}
}

func (c *Client) run() {
	defer close(c.ended)
	backoff := minBackoff
	reported := false
	for {
		conn, err := c.dial()
		what := "cannot reach"
		if err == nil {
			c.welcomed = false
			err = c.serve(conn)
			if c.isClosed() {
				return
			}
			if c.welcomed {
				// Served: a later outage is news again.
				reported, backoff, what = false, minBackoff, "lost"
			}
		}
		if !reported {
			c.opts.Logf("mempressure: %s mempressured at %s (%v), retrying in the background, ignoring",
				what, c.path, err)
			reported = true
		}
		t := time.NewTimer(backoff)
		select {
		case <-c.done:
			t.Stop()
			return
		case <-t.C:
		}
		if backoff *= 2; backoff > maxBackoff {
			backoff = maxBackoff
		}
	}
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// dial connects to the daemon's socket: SOCK_SEQPACKET for the protocol,
// or, if the socket is a stream one, systemd's protocol.
func (c *Client) dial() (net.Conn, error) {
	conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: c.path, Net: "unixpacket"})
	if errors.Is(err, syscall.EPROTOTYPE) {
		var sc *net.UnixConn
		sc, err = net.DialUnix("unix", nil, &net.UnixAddr{Name: c.path, Net: "unix"})
		if err == nil && len(c.sdWrite) > 0 {
			_, err = sc.Write(c.sdWrite)
		}
		if err == nil {
			return systemdConn{sc}, nil
		}
		if sc != nil {
			sc.Close()
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// systemdConn marks a connection to a systemd memory-pressure socket.
type systemdConn struct{ *net.UnixConn }

// serve runs one connection until it ends.
func (c *Client) serve(conn net.Conn) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		conn.Close()
		return errors.New("closed")
	}
	c.conn = conn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
		conn.Close()
	}()
	if _, ok := conn.(systemdConn); ok {
		return c.serveSystemd(conn)
	}
	hello, err := encode(msgHello, keyVersion, u64s(protocolVersion), keyName, c.opts.Name)
	if err != nil {
		return err
	}
	if _, err := conn.Write(hello); err != nil {
		return err
	}
	buf := make([]byte, msgMax+1)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("connection closed")
		}
		m, err := parseMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("from mempressured: %v", err)
		}
		if err := c.handle(conn, m); err != nil {
			return err
		}
	}
}

// handle acts on one message from the daemon.  Unknown messages are a
// newer daemon's: ignored.
func (c *Client) handle(conn net.Conn, m *message) error {
	switch m.name {
	case msgWelcome:
		c.welcomed = true
		if soft, err := m.u64(keySoftLimit); err == nil && c.limit != nil {
			c.limit.update(soft)
		}
	case msgLevel:
		ev := LevelChange{}
		ev.Cgroup, _ = m.get(keyCgroup)
		l, _ := m.get(keyLevel)
		old, _ := m.get(keyOldLevel)
		ev.Level, ev.OldLevel = parseLevel(l), parseLevel(old)
		ev.Reason, _ = m.get(keyReason)
		if soft, err := m.u64(keySoftLimit); err == nil {
			ev.SoftLimitBytes = soft
			if c.limit != nil {
				c.limit.update(soft)
			}
		}
		if c.opts.OnLevel != nil {
			c.opts.OnLevel(ev)
		}
	case msgTrim:
		id, err := m.u64(keyID)
		if err != nil {
			return err
		}
		t := Trim{ID: id, Deadline: time.Now()}
		l, _ := m.get(keyLevel)
		t.Level = parseLevel(l)
		t.Reason, _ = m.get(keyReason)
		t.WantBytes, _ = m.u64(keyWant)
		if ms, err := m.u64(keyDeadline); err == nil {
			t.Deadline = t.Deadline.Add(time.Duration(ms) * time.Millisecond)
		}
		t.Cgroup, _ = m.get(keyCgroup)
		if pid, err := m.u64(keyPID); err == nil {
			t.PID = int(pid)
		}
		learn := c.limit != nil && t.Reason != trimLeak
		if learn {
			t.MemoryLimitBytes = c.limit.planTrim(t.WantBytes, readRuntimeMemory().resident())
		}
		reply, err := encode(msgTrimmed, keyID, u64s(id), keyFreed, u64s(c.trim(t)))
		if err != nil {
			return err
		}
		if _, err := conn.Write(reply); err != nil {
			return err
		}
		if learn {
			c.limit.update(c.limit.last.SoftLimitBytes)
		}
	case msgError:
		reason, _ := m.get(keyReason)
		return fmt.Errorf("mempressured refused us: %s", reason)
	}
	return nil
}

// trim runs the handler; one that panics has freed nothing.
func (c *Client) trim(t Trim) (freed uint64) {
	if c.opts.Handler == nil {
		return 0
	}
	defer func() {
		if r := recover(); r != nil {
			c.opts.Logf("mempressure: the trim handler panicked: %v", r)
			freed = 0
		}
	}()
	return c.opts.Handler.Trim(t)
}

// serveSystemd: each time the socket becomes readable is a wake-up; what
// arrived is read and discarded, as sd-event does.
func (c *Client) serveSystemd(conn net.Conn) error {
	buf := make([]byte, 64)
	c.welcomed = true // nothing more to wait for: the connection is the subscription
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return err
		}
		if n > 0 {
			c.trim(Trim{Level: LevelMedium, Reason: "systemd", Deadline: time.Now()})
		}
	}
}
