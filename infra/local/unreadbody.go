package local

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// closeIfBodyUnread makes a response that starts before its request's body was read to its end
// close the connection after it, rather than keep it. net/http otherwise reads up to 256 KiB of
// the unread body before it sends such a response, so that the connection can serve another
// request, and waits for it as long as the client takes: a GET announcing a body it never sent
// was never answered at all (no GET route reads a body, and only bodies that are read have a
// deadline), and a refusal of a POST whose handler does not read the body (401, an unknown
// route, a stop) waited the API's 30 s body deadline (found from outside: `GET /v1/health` with
// `Content-Length: 10` and no body, still unanswered after 60 s). The connection is closed
// once the response is sent, without reading what remains of the body; a client that did send
// its body whole loses only the reuse of that connection. A request without a body is left as
// it is.
//
// The returned restore puts the request's own body back once the handler has returned (defer
// it): net/http closes a connection whose body it did not read to the end the careful way, its
// write side first and the rest of the body drained for half a second, only when it finds its
// own body type there; otherwise it closes at once, the client's kernel answers the bytes still
// arriving with a reset, and a client still sending a large body lost the answer to it ("connection
// reset by peer" instead of a 413 or 400: found in review).
func closeIfBodyUnread(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request, func()) {
	if r.Body == nil || r.Body == http.NoBody {
		return w, r, func() {}
	}
	own := r.Body
	body := &eofBody{ReadCloser: own}
	r.Body = body
	return &closeUnreadWriter{ResponseWriter: w, body: body}, r, func() { r.Body = own }
}

// unreadDrain is how long the body left unread is still read after the response (up to
// net/http's 256 KiB), so that a client whose body was nearly sent is not reset before it reads
// the answer: net/http's own delay before it closes a connection it did not read to the end.
const unreadDrain = 500 * time.Millisecond

// eofBody is a request body that records whether it was read to its end.
type eofBody struct {
	io.ReadCloser
	eof atomic.Bool
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof.Store(true)
	}
	return n, err
}

// closeUnreadWriter sets "Connection: close" on a response begun before its body's end.
type closeUnreadWriter struct {
	http.ResponseWriter
	body    *eofBody
	started bool
}

func (c *closeUnreadWriter) start() {
	if !c.started {
		c.started = true
		if !c.body.eof.Load() {
			c.Header().Set("Connection", "close")
			// net/http still reads up to 256 KiB of the body once the handler has returned,
			// to look for its end, without a deadline: that read ends within unreadDrain, not
			// when the client closes the connection.
			_ = http.NewResponseController(c.ResponseWriter).SetReadDeadline(time.Now().Add(unreadDrain))
		}
	}
}

func (c *closeUnreadWriter) WriteHeader(status int) {
	if status >= 200 { // an informational answer (1xx) is not the response
		c.start()
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *closeUnreadWriter) Write(p []byte) (int, error) {
	c.start()
	return c.ResponseWriter.Write(p)
}

// Flush lets a streaming handler (the event stream) flush through the wrapper.
func (c *closeUnreadWriter) Flush() {
	c.start()
	_ = http.NewResponseController(c.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the connection's writer (read deadlines, flushes).
func (c *closeUnreadWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
