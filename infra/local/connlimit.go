package local

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// The local server's connections are capped, so that clients cannot take the file descriptors
// the stack itself needs (found from outside: under `ulimit -n 256`, 240 keep-alive connections
// left idle after one request each took every descriptor for their 2 idle minutes: no other
// client's connection was accepted, the queues could not open the database, and uploads and
// shards could not open their files, so running jobs failed; only the accept errors were
// logged). Below the cap, nothing changes. At the cap, the connection idle the longest between
// requests is closed to make room for a new one (an HTTP client opens a new connection for its
// next request, as it does after IdleTimeout), and when none is idle (every connection is
// sending a request or waiting for its answer) new connections wait in the listen queue until
// one closes, each within the server's own bounds (ReadHeaderTimeout, the body's and the
// download's idle timeouts). Reaching the cap is logged at warn, once a minute at most.

// maxConnections is the most connections the server holds open at once, whatever the file
// limit.
const maxConnections = 10_000

// connReserve is the descriptors left to the stack itself (its database, the queues, the
// workers' and finalize's files, webhook deliveries) before connections are counted.
const connReserve = 128

// connCap is the server's cap on open connections for a process allowed nofile descriptors
// (0: unknown, no limit but maxConnections): each connection counts twice, for its socket and
// for the file its request may open (an upload's temporary file, a download's object).
func connCap(nofile uint64) int {
	if nofile == 0 || nofile > 2*maxConnections+connReserve {
		return maxConnections
	}
	if nofile < connReserve+2*16 {
		return 16
	}
	return int((nofile - connReserve) / 2)
}

// connLimiter is a listener that holds at most max connections open; ConnState is its
// http.Server's hook, through which it knows which connections are idle.
type connLimiter struct {
	net.Listener
	slots    chan struct{} // one token per open connection
	done     chan struct{} // closed by Close
	wake     chan struct{} // a connection turned idle while Accept waited
	close    sync.Once
	log      *slog.Logger
	mu       sync.Mutex
	idle     map[net.Conn]time.Time // connections idle between requests, since when
	lastWarn time.Time
}

func newConnLimiter(ln net.Listener, max int, log *slog.Logger) *connLimiter {
	return &connLimiter{Listener: ln, slots: make(chan struct{}, max), done: make(chan struct{}),
		wake: make(chan struct{}, 1), log: log, idle: map[net.Conn]time.Time{}}
}

// Accept takes a slot, closing the longest-idle connection for it at the cap, or waiting for
// one to free, then accepts. The slot is taken before a connection arrives, so at the cap one
// idle connection is closed ahead of the next (the server calls Accept again at once).
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		select {
		case l.slots <- struct{}{}:
			return l.accept()
		case <-l.done:
			return nil, net.ErrClosed
		default:
		}
		l.atCap()
		select {
		case l.slots <- struct{}{}:
			return l.accept()
		case <-l.wake: // a connection turned idle: close it if the cap is still reached
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
}

func (l *connLimiter) accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, l: l}, nil
}

// atCap closes the connection idle the longest, if one is, and warns (once a minute at most).
func (l *connLimiter) atCap() {
	l.mu.Lock()
	var oldest net.Conn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	if oldest != nil {
		delete(l.idle, oldest)
	}
	warn := time.Since(l.lastWarn) >= time.Minute
	if warn {
		l.lastWarn = time.Now()
	}
	l.mu.Unlock()
	if warn {
		l.log.Warn("the server holds as many connections as it may (raise ulimit -n for more; see the README on the local server's connections); idle keep-alive connections are closed to make room, and new connections wait while none is idle",
			"connections", cap(l.slots))
	}
	if oldest != nil {
		oldest.Close() // frees its slot
	}
}

// ConnState is the http.Server's ConnState hook.
func (l *connLimiter) ConnState(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if state == http.StateIdle {
		l.idle[c] = time.Now()
		select {
		case l.wake <- struct{}{}:
		default:
		}
		return
	}
	delete(l.idle, c)
}

// Close stops Accept and closes the listener.
func (l *connLimiter) Close() error {
	l.close.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitedConn gives its slot back when closed.
type limitedConn struct {
	net.Conn
	l    *connLimiter
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.idle, c)
		c.l.mu.Unlock()
		<-c.l.slots
	})
	return err
}
