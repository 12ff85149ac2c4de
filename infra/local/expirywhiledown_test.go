package local

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
)

// TestExpiredWhileDownNotDelivered: a job whose notification is pending (its webhook's receiver
// is down) and whose retention ends while ream serve is down is expired at the next start
// without its notification being delivered, as the README says ("a receiver down past the job's
// retention does not get it"). The notifier resumed the pending deliveries as it was created,
// before the start's first sweep expired the job, so a receiver back by then got the
// notification of a job already past its retention, which was a 404 a moment later. Found by
// TestBacklogAfterOutage (2 of its 4 such jobs delivered).
func TestExpiredWhileDownNotDelivered(t *testing.T) {
	ctx := testCtx(t)
	taken := map[string]bool{}
	recv, hookURL := startOutageReceiver(t, taken)

	cfg := Config{
		DataDir: t.TempDir(), Addr: outageAddr(t, taken), PollInterval: Duration(10 * time.Millisecond), Workers: 2,
		Webhooks: []Webhook{{URL: hookURL}}, WebhookMaxBackoff: Duration(time.Second),
		ExpiryPassEvery: Duration(time.Second),
	}
	first, err := Start(ctx, cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(first.URL, DefaultKey)
	res := createAndUpload(t, ctx, c, lineJob("expires while down", job.OneDocPerLine), []byte("A calm day.\n"))
	follow(t, ctx, c, res.JobId)
	waitFor(t, ctx, "a delivery refused", func() bool { recv.mu.Lock(); defer recv.mu.Unlock(); return recv.refused > 0 })
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	expireWhileDown(t, cfg.DataDir, []string{res.JobId}, time.Now().Add(-time.Second))
	recv.up.Store(true)
	time.Sleep(time.Second) // the pending delivery's backoff (webhookMaxBackoff) is over: it is due at the start
	second, err := Start(ctx, cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if _, err := newClient(second.URL, DefaultKey).Describe(ctx, res.JobId); !isStatus(err, http.StatusNotFound) {
		t.Fatalf("describe after the start: %v; want 404, the job expired", err)
	}
	// A delivery started before the expiry would be answered within this.
	time.Sleep(2 * time.Second)
	if k := recv.count(res.JobId); k != 0 {
		t.Errorf("the notification of a job whose retention ended while the server was down was delivered %d times; want none", k)
	}
}

// outageAddr is a free loopback address with a port in [30900, 30999] (the range these
// tests may use), skipping the ports in taken.
func outageAddr(t *testing.T, taken map[string]bool) string {
	t.Helper()
	for p := 30900; p <= 30999; p++ {
		addr := "127.0.0.1:" + strconv.Itoa(p)
		if taken[addr] {
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		taken[addr] = true
		return addr
	}
	t.Fatal("no free port in 30900-30999")
	return ""
}

// outageReceiver is a webhook receiver that refuses (503) every delivery while down and counts
// the deliveries it accepted, by JobId.
type outageReceiver struct {
	up       atomic.Bool
	mu       sync.Mutex
	accepted map[string]int
	refused  int
}

// startOutageReceiver serves a receiver, down, on a port of [30900, 30999] until the test
// ends, and returns it with its URL.
func startOutageReceiver(t *testing.T, taken map[string]bool) (*outageReceiver, string) {
	t.Helper()
	recv := &outageReceiver{accepted: map[string]int{}}
	ln, err := net.Listen("tcp", outageAddr(t, taken))
	if err != nil {
		t.Fatal(err)
	}
	hook := &http.Server{Handler: recv}
	go hook.Serve(ln)
	t.Cleanup(func() { hook.Close() })
	return recv, "http://" + ln.Addr().String() + "/hook"
}

func (r *outageReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if !r.up.Load() {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var n api.Notification
	if err := json.Unmarshal(body, &n); err != nil || n.JobId == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.accepted[n.JobId]++
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *outageReceiver) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted[id]
}

// expireWhileDown sets the ExpirationTime of the jobs ids to at in the data directory's
// database, while no server runs on it: what the clock moving past their retention during an
// outage does to them (ream serve has no clock a test can move, and a retention is whole hours).
func expireWhileDown(t *testing.T, dataDir string, ids []string, at time.Time) {
	t.Helper()
	db, err := sl.OpenDB(filepath.Join(dataDir, "ream.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range ids {
		var body []byte
		if err := db.QueryRow(`SELECT body FROM jobs WHERE id = ?`, id).Scan(&body); err != nil {
			t.Fatalf("job %s: %v", id, err)
		}
		var rec, j map[string]json.RawMessage // the stored record: {"job": {…}, "hidden": {…}}
		if err := json.Unmarshal(body, &rec); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(rec["job"], &j); err != nil {
			t.Fatal(err)
		}
		if _, ok := j["ExpirationTime"]; !ok {
			t.Fatalf("job %s has no ExpirationTime: %s", id, body)
		}
		j["ExpirationTime"], _ = json.Marshal(at.UTC())
		rec["job"], _ = json.Marshal(j)
		body, _ = json.Marshal(rec)
		if _, err := db.Exec(`UPDATE jobs SET body = ? WHERE id = ?`, body, id); err != nil {
			t.Fatal(err)
		}
	}
}
