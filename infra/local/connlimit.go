package local

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The local server's connections are capped, so that clients cannot take the file descriptors
// the stack itself needs (found from outside: under `ulimit -n 256`, 240 keep-alive connections
// left idle after one request each took every descriptor for their 2 idle minutes: no other
// client's connection was accepted, the queues could not open the database, and uploads and
// shards could not open their files, so running jobs failed; only the accept errors were
// logged). Below the cap, nothing changes. When a new connection arrives at the cap, the
// connection idle the longest between requests is closed to make room for it (an HTTP client
// opens a new connection for its next request, as it does after IdleTimeout; a connection on
// which a request has begun to arrive is not idle), and when none is idle (every connection is
// sending a request or waiting for its answer) the new connection waits, and those after it in
// the listen queue, until one turns idle or closes, each within the server's own bounds (ReadHeaderTimeout, the body's and the
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
	idle     map[*limitedConn]time.Time // connections idle between requests, since when
	lastWarn time.Time
}

func newConnLimiter(ln net.Listener, max int, log *slog.Logger) *connLimiter {
	return &connLimiter{Listener: ln, slots: make(chan struct{}, max), done: make(chan struct{}),
		wake: make(chan struct{}, 1), log: log, idle: map[*limitedConn]time.Time{}}
}

// Accept accepts a connection, then takes a slot for it: at the cap it closes the longest-idle
// connection, or waits for one to turn idle or close. An idle connection is closed only for a
// connection that has arrived, never ahead of one: when the slot was taken before accepting,
// at the cap every connection was closed the moment it turned idle, with no client waiting,
// and a client's next request on it (a sequence of uploads) failed on a connection the server
// had just closed. The connection waiting for its slot is one descriptor past the cap.
func (l *connLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: c, l: l}, nil
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		default:
		}
		l.atCap()
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: c, l: l}, nil
		case <-l.wake: // a connection turned idle: close it if the cap is still reached
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		}
	}
}

// atCap closes the connection idle the longest, if one is, and warns (once a minute at most).
// The connection is marked closing under the lock, so that a request that has begun to arrive
// on it keeps it (limitedConn.Read).
func (l *connLimiter) atCap() {
	l.mu.Lock()
	var oldest *limitedConn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	if oldest != nil {
		delete(l.idle, oldest)
		oldest.state.Store(connClosing)
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
func (l *connLimiter) ConnState(nc net.Conn, state http.ConnState) {
	c, ok := nc.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if state == http.StateIdle {
		if !c.state.CompareAndSwap(connBusy, connIdle) {
			return // closing
		}
		l.idle[c] = time.Now()
		select {
		case l.wake <- struct{}{}:
		default:
		}
		return
	}
	delete(l.idle, c)
	c.state.CompareAndSwap(connIdle, connBusy)
}

// Close stops Accept and closes the listener.
func (l *connLimiter) Close() error {
	l.close.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// A limitedConn's state, for the limiter: busy, idle between requests (the limiter may close
// it), or closing (the limiter chose it).
const (
	connBusy int32 = iota
	connIdle
	connClosing
)

// limitedConn gives its slot back when closed.
type limitedConn struct {
	net.Conn
	l     *connLimiter
	once  sync.Once
	state atomic.Int32
}

// Read takes an idle connection out of the limiter's reach as soon as the first bytes of its
// next request arrive: net/http reports it active only once the request's header is read, and
// the limiter closed it meanwhile, or even after the request had reached its handler (between
// choosing it and closing it), so that a request was carried out and its answer lost. Bytes
// read after the limiter chose the connection are dropped, as if the close had come first: the
// request is then neither answered nor carried out.
func (c *limitedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.state.Load() != connBusy {
		c.l.mu.Lock()
		closing := c.state.Load() == connClosing
		if !closing {
			c.state.Store(connBusy)
			delete(c.l.idle, c)
		}
		c.l.mu.Unlock()
		if closing {
			return 0, net.ErrClosed
		}
	}
	return n, err
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.idle, c)
		c.state.Store(connClosing)
		c.l.mu.Unlock()
		<-c.l.slots
	})
	return err
}
