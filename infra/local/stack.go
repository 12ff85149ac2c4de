package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Queue names in the local database.
const (
	shardQueue    = "shards"
	s3EventsQueue = "s3-events"
	// ingestPollers is how many upload events are handled (jobs planned) at once.
	ingestPollers = 2
	// bucketName is what the local S3 events call the bucket.
	bucketName = "ream-local"
)

// Options are test hooks; production leaves them zero.
type Options struct {
	Analyzers analysis.Registry
	Hooks     pipeline.Hooks
	Log       *slog.Logger
	// StatsFanIn forces a TOPICS job's vocabulary reduce into a tree sooner (tests).
	StatsFanIn int
	// PlanInWorker plans jobs created with an input location in a worker, as the AWS stack
	// does (pipeline.Config.PlanInWorker; tests): locally the create request plans them.
	PlanInWorker bool
	// WrapObjects, when set, wraps the object store the pipeline writes through (the local
	// store still serves the presigned URLs): tests give it what the local store lacks, such
	// as pipeline.KMSObjects.
	WrapObjects func(pipeline.Objects) pipeline.Objects
}

// Stack is a running local stack.
type Stack struct {
	cfg      Config
	URL      string
	Service  *pipeline.Service
	Notifier *sl.Notifier
	Shards   *sl.Queue

	db       *sql.DB
	unlock   func()   // releases the data directory (lockDataDir)
	streams  sync.Map // tenant → *atomic.Int32: its event streams open (events.go)
	server   *http.Server
	listener net.Listener
	log      *slog.Logger
	cancel   context.CancelFunc
	life     context.Context // the stack's lifetime (runCtx), which cancel ends
	// inflight counts the requests being served: Close waits for those it cut, whose work
	// (pipeline.Deps.Lifetime) ends with life, before it closes the database.
	inflight *inflight
	wg       sync.WaitGroup
	// stopping is closed when Close begins: the event streams end, so that the server's
	// Shutdown does not wait on them.
	stopping chan struct{}
	stopOnce sync.Once
	// streamsOpen is every tenant's event streams open, which share streamReadsPerSecond.
	streamsOpen atomic.Int32
	// scrubPending: a sweep expired jobs (or a previous process may have, before it died) and
	// the write-ahead log may still hold their deleted rows (afterSweep).
	scrubPending atomic.Bool

	api      *handlers.API
	auth     *handlers.KeyAuth
	ingest   *handlers.Ingest
	worker   *handlers.Worker
	dead     *handlers.DeadLetters
	sweeper  *handlers.Sweeper
	s3Events *sl.Queue
	// objects is the object store, under objectsDir (the drop folders' watcher and sweep).
	objects    *sl.Objects
	objectsDir string
	// noSpace counts the pipeline's writes that found the data directory's file system full
	// (spaceWatch).
	noSpace *atomic.Int64
}

func numCPU() int { return runtime.NumCPU() }

// Start opens the data directory, builds the adapters and the handlers, listens, and starts the
// event plumbing (S3 events → ingest, shard queue → worker, dead-letter queue → dead-letter
// handler, schedule → sweeper). It returns once the server is accepting connections.
func Start(ctx context.Context, cfg Config, opts Options) (*Stack, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	for _, t := range cfg.Keys {
		if !layout.ValidTenant(t) {
			return nil, fmt.Errorf("tenant %q: use letters, digits, '.', '_' or '-'", t)
		}
	}
	var clients []handlers.OAuthClient
	for i, c := range cfg.OAuthClients {
		if c.ClientID == "" || c.ClientSecret == "" || !layout.ValidTenant(c.Tenant) {
			return nil, fmt.Errorf("oauthClients: client %q needs a clientId, a clientSecret and a valid tenant", c.ClientID)
		}
		for _, other := range cfg.OAuthClients[:i] {
			if other.ClientID == c.ClientID {
				// the last one would win silently, moving the client to its tenant
				return nil, fmt.Errorf("oauthClients: client %q is listed twice", c.ClientID)
			}
		}
		clients = append(clients, handlers.OAuthClient{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Tenant: c.Tenant})
	}
	var accessKeys []handlers.AccessKey
	for i, k := range cfg.AccessKeys {
		if k.AccessKeyID == "" || k.SecretAccessKey == "" || !layout.ValidTenant(k.Tenant) {
			return nil, fmt.Errorf("accessKeys: key %q needs an accessKeyId, a secretAccessKey and a valid tenant", k.AccessKeyID)
		}
		for _, other := range cfg.AccessKeys[:i] {
			if other.AccessKeyID == k.AccessKeyID {
				return nil, fmt.Errorf("accessKeys: key %q is listed twice", k.AccessKeyID)
			}
		}
		accessKeys = append(accessKeys, handlers.AccessKey{AccessKeyId: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, Tenant: k.Tenant})
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDataDir(dataDir)
	if errors.Is(err, errNoDataLock) {
		log.Warn(err.Error())
	} else if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		unlock()
		if errors.Is(err, syscall.EADDRINUSE) {
			// What to do, said (found from outside: only Go's "bind: address already in use").
			return nil, fmt.Errorf("listen on %s: %w: another process listens there (another ream serve, a make run left running?): stop it, or give this one another port (--addr, REAM_ADDR or the configuration's \"addr\"; port 0 picks a free one)", cfg.Addr, err)
		}
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	baseURL := "http://" + ln.Addr().String()
	fail := func(err error) (*Stack, error) {
		ln.Close()
		unlock()
		return nil, err
	}
	// Presigned URLs name publicURL when set: listening on every interface (":8080",
	// "0.0.0.0:8080") they named http://[::]:8080, which only this machine reaches (found from
	// outside: a teammate's `ream submit` created its job and could not upload).
	objectsURL := baseURL
	if cfg.PublicURL != "" {
		objectsURL = strings.TrimSuffix(cfg.PublicURL, "/")
	} else if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		log.Warn("listening on every interface, but upload and download URLs name "+baseURL+", which only this machine reaches: set publicURL in the config to the URL clients use", "addr", cfg.Addr)
	}
	if msg := cfg.exposedCredentials(ln.Addr()); msg != "" {
		log.Warn(msg, "addr", cfg.Addr)
	}

	db, err := sl.OpenDB(filepath.Join(dataDir, "ream.db"))
	if err != nil {
		return fail(err)
	}
	// The records name objects by file:// URIs into the data directory: after it was moved or
	// restored elsewhere, they are made to name where it is now, before anything reads them.
	objectsBase := FileURI(filepath.Join(dataDir, "objects") + "/")
	if moved, err := sl.Relocate(ctx, db, objectsBase); err != nil {
		db.Close()
		return fail(fmt.Errorf("open database %s: %w", filepath.Join(dataDir, "ream.db"), err))
	} else if moved.From != "" {
		log.Warn("the data directory was moved: the records' locations now name it where it is", "from", moved.From, "to", objectsBase,
			"jobs", moved.Jobs, "dropRules", moved.DropRules, "notifications", moved.Notifications)
	}
	var svc *pipeline.Service // the upload guard below runs only once the server serves
	var objects *sl.Objects
	guard := func(ctx context.Context, key string) error { return uploadGuard(ctx, svc, objects, key) }
	objects, err = sl.NewObjects(dataDir, objectsURL, nil, sl.WithMaxUploadSize(cfg.MaxUploadBytes), sl.WithPutGuard(guard), sl.WithLogger(log))
	if err != nil {
		db.Close()
		return fail(err)
	}
	analyzers := opts.Analyzers
	if analyzers == nil {
		analyzers, err = analysis.NewRegistry(cfg.Languages)
		if err == nil {
			err = analyzers.Warm() // the stack analyses: load it all now, not in the first job
		}
		if err != nil {
			db.Close()
			return fail(fmt.Errorf("analysers: %w", err))
		}
	}
	notifier := sl.NewNotifier(db, cfg.webhooks(), sl.WithLogger(log), sl.WithRetry(cfg.WebhookAttempts, time.Second, time.Duration(cfg.WebhookMaxBackoff)), sl.HoldDeliveries())
	shards := sl.NewQueue(db, shardQueue, cfg.MaxReceiveCount)
	var pobjects pipeline.Objects = objects
	if opts.WrapObjects != nil {
		pobjects = opts.WrapObjects(objects)
	}
	noSpace := new(atomic.Int64)
	pobjects = watchSpace(pobjects, objects, noSpace)
	var s *Stack // built below, with the service: the erasure's scrub is the stack's
	// runCtx is the stack's lifetime: its pollers, and the work a request committed the service
	// to (pipeline.Deps.Lifetime), end with it.
	runCtx, cancel := context.WithCancel(context.Background())
	svc = pipeline.New(pipeline.Deps{
		Jobs: sl.NewJobs(db), Objects: pobjects, Queue: shards, Notifier: notifier, Analyzers: analyzers, Models: sl.NewModels(db),
		DropRules: sl.NewDropRules(db),
		Config: pipeline.Config{
			ShardBytes: cfg.ShardBytes, MinShards: 8 * cfg.Workers, MaxInputBytes: cfg.MaxInputBytes, MaxDocumentBytes: cfg.MaxDocumentBytes,
			UploadTTL: time.Duration(cfg.UploadTTL), StuckAfter: time.Duration(cfg.StuckAfter), Retention: time.Duration(cfg.Retention),
			ExpiryPassEvery:      time.Duration(cfg.ExpiryPassEvery),
			CodingRetentionHours: int(max(time.Duration(cfg.CodingRetention)/time.Hour, 1)),
			StatsFanIn:           opts.StatsFanIn,
			PlanInWorker:         opts.PlanInWorker,
			Locations: layout.Locations{Base: objectsBase,
				Aliases: []string{"s3://" + bucketName + "/"}},
		},
		Log: log, Hooks: opts.Hooks, Lifetime: runCtx,
		AfterErase: func(ctx context.Context, tenant, id string) { s.eraseMessages(ctx, tenant, id); s.scrub(ctx) },
	})
	s = &Stack{
		cfg: cfg, URL: baseURL, Service: svc, Notifier: notifier, Shards: shards, db: db, unlock: unlock, listener: ln, log: log,
		cancel: cancel, life: runCtx, inflight: newInflight(),
		auth:     handlers.NewKeyAuth(cfg.Keys),
		ingest:   handlers.NewIngest(svc, log),
		worker:   handlers.NewWorker(svc, log),
		dead:     handlers.NewDeadLetters(svc, log),
		sweeper:  handlers.NewSweeper(svc, log),
		s3Events: sl.NewQueue(db, s3EventsQueue, 10),
		objects:  objects, objectsDir: filepath.Join(dataDir, "objects"), noSpace: noSpace,
		stopping: make(chan struct{}),
	}
	// The first sweep scrubs too: a process that died after a sweep expired jobs and before it
	// scrubbed left their rows in ream.db-wal, and its pending scrub died with it (found in
	// review: the log kept them for good on a quiet server).
	s.scrubPending.Store(true)
	tokenKey, err := sl.LoadSecret(filepath.Join(dataDir, "oauth.key"))
	if err != nil {
		cancel()
		// The notifier's dispatcher waits, held, for StartDeliveries: it ends only with Close.
		_ = notifier.Close(context.Background())
		db.Close()
		return fail(err)
	}
	oauth := handlers.NewOAuth(clients, tokenKey, nil)
	sigv4 := handlers.NewSigV4AuthStore(handlers.ComprehendService, handlers.KeyChain{handlers.NewStaticKeys(accessKeys), handlers.IssuedKeys{Keys: accesskeys.New(svc.Objects())}})
	sigv4.Public = cfg.publicURL() // signatures made for the proxy's host and path prefix
	s.api = handlers.NewAPI(svc, handlers.AnyAuth{s.auth, oauth}, log).WithTokens(oauth).
		WithComprehend(sigv4, handlers.ComprehendConfig{Bucket: bucketName})

	// A process that died between marking a job IN_PROGRESS and enqueueing its shards left the
	// job without messages: this queue is seen whole, so such jobs are resumed now, not after
	// stuckAfter.
	if n, err := svc.RecoverAfterRestart(ctx, shards.JobBodies); err != nil {
		log.Warn("could not look for jobs left without their shards; the sweeper will rescue them", "err", err)
	} else if n > 0 {
		log.Info("resumed jobs left without their shards by the last stop", "jobs", n)
	}

	store := objectsCORS(objects.Handler(s.objectCreated), cfg.CORSAllowedOrigins)
	apiEdge := apiCORS(s.api, cfg.CORSAllowedOrigins)
	s.api.HandleAuthed("GET /v1/jobs/{id}/events", s.events)
	// The presigned URLs' paths go to the store, everything else to the API. Not through a
	// ServeMux: it would answer a path not in canonical form ("//v1/topics") or "/objects" with
	// a 307 HTML redirect before the API could answer it, as it does any unknown route, with
	// 404 JSON. (The store checks a URL's signature against its exact path.)
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.inflight.enter() {
			http.Error(w, "the server is stopping", http.StatusServiceUnavailable)
			return
		}
		defer s.inflight.leave()
		w, r, restore := closeIfBodyUnread(w, r)
		defer restore()
		if strings.HasPrefix(r.URL.Path, "/objects/") {
			store.ServeHTTP(w, r)
			return
		}
		apiEdge.ServeHTTP(w, r)
	})
	// No ReadTimeout: a presigned upload may stream gigabytes. Idle keep-alive connections are
	// closed after two minutes, or sooner when the connections reach their cap (connlimit.go).
	conns := newConnLimiter(ln, connCap(openFileLimit()), log)
	s.server = &http.Server{Handler: route, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: maxHeaderBytes, ErrorLog: serverErrorLog(log), ConnState: conns.ConnState}

	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.server.Serve(conns); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("server stopped", "err", err)
		}
	}()
	// Uploads are planned ingestPollers at a time, so that one large upload's planning (its
	// lines counted: seconds for a gigabyte) does not hold the uploads that follow it.
	s.poll(runCtx, "ingest", s.s3Events, ingestPollers, ingestPollers, 1, time.Duration(cfg.VisibilityTimeout), s.runIngest)
	// Workers shards compute at once; a shard whose records are encoded hands its slot on while
	// it waits for storage (pipeline.WithComputeDone), so up to Workers more may be finishing.
	// A batch of several shards keeps its slot to the end (it computes again after the first).
	workerPollers := cfg.Workers
	if cfg.BatchSize == 1 {
		workerPollers = 2 * cfg.Workers
	}
	s.poll(runCtx, "worker", shards, workerPollers, cfg.Workers, cfg.BatchSize, time.Duration(cfg.VisibilityTimeout), s.worker.Handle)
	s.poll(runCtx, "deadletter", shards.DeadLetterQueue(), 1, 1, 10, time.Duration(cfg.VisibilityTimeout), s.dead.Handle)
	if err := s.startDropWatcher(runCtx, s.objectsDir); err != nil {
		log.Warn("drop folders are not watched; files dropped there start their jobs at the next sweep", "err", err)
	}
	// The first sweep runs before Start returns, so that what a previous run left behind is
	// rescued before anything new arrives (and a caller's own Sweep never races it).
	s.sweep(runCtx)
	// Only then do the pending deliveries resume: those of the jobs this sweep expired (their
	// retention ended while the server was down) are gone with them, not delivered.
	s.Notifier.StartDeliveries()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.schedule(runCtx, time.Duration(cfg.SweepInterval))
	}()
	log.Info("local stack started", "url", baseURL, "data", dataDir, "workers", cfg.Workers)
	return s, nil
}

// serverErrorLog is the http.Server's own log, into the stack's logger: a handler that
// panicked and accept failing (out of file descriptors) at ERROR, anything else net/http says
// (a client's query with ';', which the API answers 400) at INFO. Without it those lines went
// through the standard log at INFO (`ream serve` sets slog's default), below the default level
// warn (found from outside: `ulimit -n 256` and 300 connections logged "accept4: too many open
// files" only at info).
func serverErrorLog(log *slog.Logger) *stdlog.Logger {
	return stdlog.New(serverLogWriter{log}, "", 0)
}

type serverLogWriter struct{ log *slog.Logger }

func (w serverLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	if strings.Contains(msg, "panic serving") || strings.Contains(msg, "Accept error") {
		level = slog.LevelError
	}
	w.log.Log(context.Background(), level, msg, "source", "net/http")
	return len(p), nil
}

// maxHeaderBytes bounds a request's line and headers (net/http answers 431 above it). A
// connection buffers its request's headers whole while they arrive (for up to the 10 s of
// ReadHeaderTimeout): at net/http's default of 1 MiB, 500 connections each sending a large header
// took the server from 190 MB to 910 MB resident (found from outside). API Gateway takes 10 KB
// and S3 8 KB; Ream's own requests need a few (a presigned URL's key is at most 1,024 bytes,
// escaped).
const maxHeaderBytes = 64 << 10

// shutdownGrace is how long Close lets running requests finish before it cuts them (a
// variable so that tests can shorten it).
var shutdownGrace = 10 * time.Second

// Close ends the event streams, stops accepting requests (those in flight finish within
// shutdownGrace, then are cut, and their work ends and is waited for), stops the pollers (in-flight handlers finish or are cancelled;
// their messages are handed back), and closes the database.
func (s *Stack) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	s.stopOnce.Do(func() { close(s.stopping) })
	err := s.server.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Requests still running after the grace (a slow upload) are cut, as documented: an upload
		// cut short stores nothing. That is the clean stop working, not a failed one (found from
		// outside: it made `ream serve` exit 1).
		s.log.Warn("requests still running at the end of the shutdown grace were cut (an upload cut short stores nothing)", "grace", shutdownGrace.String())
		err = s.server.Close()
	}
	s.cancel()
	// A request cut at the end of the grace may still be running: the work it committed the
	// service to (a created job's planning, a stop) does not end with its request's context but
	// with the stack's (just cancelled); it ends before the database is closed, not over it.
	s.inflight.closeWait()
	s.wg.Wait()
	// The notifier gets its own few seconds: the requests' deadline may have passed already.
	nctx, ncancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer ncancel()
	_ = s.Notifier.Close(nctx)
	err = errors.Join(err, s.db.Close())
	s.unlock()
	return err
}

// uploadGuard refuses (job.ErrConflict) an upload into the folder of a drop rule that no longer
// exists, an upload to a job that no longer accepts input or no longer exists, or of an input object that already
// arrived: a retried or late PUT must not replace the input a job
// was (or is about to be) planned on. S3 cannot refuse it; there a job whose input is replaced
// while it runs fails saying so. When the job or the object cannot be looked up, the error is
// returned as it is, and the upload is answered 503 (see local.WithPutGuard), never let through
// unchecked.
func uploadGuard(ctx context.Context, svc *pipeline.Service, objects pipeline.Objects, key string) error {
	if svc == nil || objects == nil {
		return nil
	}
	if tenant, rule, _, ok := droprule.ParseKey(key); ok {
		// A drop rule's upload URL outlives the rule; the file would be stored and never
		// analysed (until a rule of that name came back).
		_, err := svc.GetDropRule(ctx, tenant, rule)
		if errors.Is(err, job.ErrNotFound) {
			return fmt.Errorf("%w: drop rule %s no longer exists, so a file put into its folder would not be analysed; create the rule again first", job.ErrConflict, rule)
		}
		return err
	}
	tenant, id, ok := layout.UploadJob(key)
	if !ok {
		return nil
	}
	j, err := svc.Describe(ctx, tenant, id)
	if errors.Is(err, job.ErrNotFound) {
		// The store signs PUTs under inputs/ for jobs' uploads and drop rules alone, and a job
		// is stored before its URLs are signed: this URL's job has expired. A URL can outlive its
		// job (uploadTTL longer than a job's retention: one stopped, or run on all of its files,
		// and then expired), and what it stored was kept, never read, until inputRetention
		// (found by the data-lifecycle audit).
		return fmt.Errorf("%w: job %s no longer exists (it expired or was deleted, and its data with it), so the file would never be analysed; create a new job", job.ErrConflict, id)
	}
	if err != nil {
		return err
	}
	if j.JobStatus != job.AwaitingInput {
		return pipeline.InputRefused(j, false)
	}
	_, err = objects.Head(ctx, key)
	switch {
	case err == nil:
		return pipeline.InputRefused(j, true)
	case errors.Is(err, job.ErrNotFound):
		return nil
	default:
		return err
	}
}

// objectCreated turns a completed upload into the S3 ObjectCreated event S3 would send, queued
// durably so that a crash before ingest finishes replays it.
func (s *Stack) objectCreated(ctx context.Context, info pipeline.ObjectInfo) error {
	if len(info.Key) < len(layout.InputsPrefix) || info.Key[:len(layout.InputsPrefix)] != layout.InputsPrefix {
		return nil // only inputs/ notifies, as the bucket's notification filter does on AWS
	}
	ev := S3Event(info, time.Now().UTC())
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return s.s3Events.SendRaw(ctx, [][]byte{b})
}

// S3Event builds the ObjectCreated:Put notification S3 sends for an object (keys URL-encoded).
func S3Event(info pipeline.ObjectInfo, now time.Time) events.S3Event {
	return events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1",
		EventSource:  "aws:s3",
		AWSRegion:    "local",
		EventTime:    now,
		EventName:    "ObjectCreated:Put",
		S3: events.S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: "ream-inputs",
			Bucket:          events.S3Bucket{Name: bucketName, Arn: "arn:aws:s3:::" + bucketName},
			Object:          events.S3Object{Key: url.QueryEscape(info.Key), Size: info.Size, ETag: info.ETag, Sequencer: strconv.FormatInt(now.UnixNano(), 16)},
		},
	}}}
}

// runIngest adapts a queued S3 event to the ingest handler as an SQS-shaped batch of one.
func (s *Stack) runIngest(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var s3ev events.S3Event
		if err := json.Unmarshal([]byte(m.Body), &s3ev); err != nil {
			s.log.ErrorContext(ctx, "malformed S3 event dropped", "err", err)
			continue
		}
		if err := s.ingest.Handle(ctx, s3ev); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// poll runs n pollers that behave as Lambda's SQS event source: receive up to batch messages,
// hide them for the visibility timeout, call the handler with an SQSEvent, and delete every
// message not reported in BatchItemFailures. A handler error fails the whole batch. At most
// slots (<= n) pollers receive or compute at once: a poller holds a slot from its receive until
// its handler reports that its computing is done (pipeline.WithComputeDone, when slots < n) or
// returns, so the other n-slots pollers take the next messages while handlers wait for storage.
func (s *Stack) poll(ctx context.Context, name string, q *sl.Queue, n, slots, batch int, visibility time.Duration,
	handle func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)) {
	idle := time.Duration(s.cfg.PollInterval)
	slots = min(max(slots, 1), n)
	sem := make(chan struct{}, slots)
	for i := 0; i < n; i++ {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for ctx.Err() == nil {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				var once sync.Once
				release := func() { once.Do(func() { <-sem }) }
				msgs, err := q.Receive(ctx, batch, visibility)
				if err != nil {
					release()
					if ctx.Err() == nil {
						args := []any{"queue", q.Name(), "err", err}
						if advice := sl.StorageAdvice(err); advice != "" {
							args = append(args, "advice", advice) // e.g. a full disk: nothing moves until there is room
						}
						s.log.Error("receive failed", args...)
					}
					sleep(ctx, time.Second)
					continue
				}
				if len(msgs) == 0 {
					q.Wait(ctx, idle) // holding the slot: no other poller could take a message either
					release()
					continue
				}
				ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
				for k, m := range msgs {
					ev.Records[k] = events.SQSMessage{
						MessageId: m.ID, ReceiptHandle: m.Receipt, Body: string(m.Body),
						EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:local:000000000000:" + q.Name(), AWSRegion: "local",
						Attributes: map[string]string{
							"ApproximateReceiveCount":          strconv.Itoa(m.ReceiveCount),
							"SentTimestamp":                    strconv.FormatInt(m.SentAt.UnixMilli(), 10),
							"ApproximateFirstReceiveTimestamp": strconv.FormatInt(time.Now().UnixMilli(), 10),
						},
					}
				}
				hctx := ctx
				if slots < n {
					hctx = pipeline.WithComputeDone(ctx, release)
				}
				// A delivery ends at Lambda's longest timeout, as an invocation does: the
				// handlers stop their batch before the deadline and hand it back. Without it a
				// handler outlived its heartbeat and ran on beside the copies of its message
				// delivered again, one more every 15 minutes (found measuring a 50 MB coding
				// training: two trainings at once, resident memory 440 → 680 MB).
				hctx, endRun := context.WithTimeout(hctx, maxHandlerRun)
				// The heartbeat runs until every message is deleted or handed back below: stopped
				// when the handler returned, a message whose last extension ran out before the
				// poller got to it was received by another poller meanwhile, a delivery counted
				// towards the dead-letter queue that the Return below (then refused, its receipt
				// no longer current) meant not to count (found hunting flakes: go test -race on a
				// loaded machine dead-lettered TestFullDiskDeadLettersNothing's shard).
				stopBeat := s.heartbeat(ctx, q, msgs, visibility)
				fullBefore := s.noSpace.Load()
				resp, err := handle(hctx, ev)
				endRun()
				noRoom := s.noSpace.Load() != fullBefore
				release()
				if err != nil {
					s.log.Error("handler failed; batch will be retried", "handler", name, "err", err)
					resp.BatchItemFailures = nil
					for _, m := range msgs {
						resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.ID})
					}
				}
				failed := make(map[string]bool, len(resp.BatchItemFailures))
				for _, f := range resp.BatchItemFailures {
					failed[f.ItemIdentifier] = true
				}
				for _, m := range msgs {
					if failed[m.ID] {
						if ctx.Err() != nil {
							// Stopping: hand the interrupted message back at once and uncounted, so
							// the next start neither waits out its visibility timeout nor
							// dead-letters a shard that a clean stop cut short.
							_ = q.Return(context.WithoutCancel(ctx), m.Receipt, 0)
						} else if noRoom {
							// A write found the file system full while it ran: delivered again
							// after the visibility timeout as any failure, but uncounted, so a
							// full disk never dead-letters it (it waits for room instead).
							_ = q.Return(ctx, m.Receipt, visibility)
							s.log.Warn("a message failed while the data directory's file system was full; it is delivered again, without counting this delivery, until there is room",
								"queue", q.Name(), "messageId", m.ID, "advice", sl.FullAdvice)
						}
						continue
					}
					if err := q.Delete(context.WithoutCancel(ctx), m.Receipt); err != nil {
						s.log.Error("delete failed; the message will be delivered again", "queue", q.Name(), "err", err)
					}
				}
				stopBeat()
			}
		}()
	}
}

// maxHandlerRun is how long a delivery may run, Lambda's longest timeout: its handler's context
// ends then (poll), and the heartbeat stops (a variable so that tests can shorten it).
var maxHandlerRun = 15 * time.Minute

// heartbeat keeps the received msgs hidden while their handler runs (for at most maxHandlerRun), extending their visibility
// every third of it, until the returned stop is called: a handler that outlives the timeout (a
// TOPICS job's initial fit on a sample can take minutes) is not delivered a second time while
// it is alive, which would count towards the dead-letter queue and run the same work twice at
// once. After a crash the extensions stop, and the messages come back once the last one ends.
func (s *Stack) heartbeat(ctx context.Context, q *sl.Queue, msgs []sl.Message, visibility time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	began := time.Now()
	go func() {
		defer close(finished)
		tick := time.NewTicker(max(visibility/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				if time.Since(began) > maxHandlerRun {
					// A handler still running past its context's deadline ignores it (hung):
					// let its messages come back, and towards the dead-letter queue.
					s.log.Warn("a handler has run longer than a Lambda may; its messages will be delivered again", "queue", q.Name(), "after", maxHandlerRun)
					return
				}
				for _, m := range msgs {
					if err := q.ChangeVisibility(ctx, m.Receipt, visibility); err != nil && ctx.Err() == nil && !errors.Is(err, job.ErrNotFound) {
						s.log.Warn("cannot extend a running message's visibility; it may be delivered again", "queue", q.Name(), "err", err)
					}
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// schedule runs the sweeper every interval, as an EventBridge schedule would.
func (s *Stack) schedule(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.sweep(ctx)
	}
}

// sweep runs the sweeper once through its handler, with the event EventBridge would send.
func (s *Stack) sweep(ctx context.Context) {
	now := time.Now().UTC()
	ev := events.EventBridgeEvent{
		Version: "0", ID: strconv.FormatInt(now.UnixNano(), 36), DetailType: "Scheduled Event", Source: "aws.events",
		AccountID: "000000000000", Time: now, Region: "local", Resources: []string{"arn:aws:events:local:000000000000:rule/ream-sweeper"},
		Detail: json.RawMessage("{}"),
	}
	rep, err := s.sweeper.Handle(ctx, ev)
	if err != nil && ctx.Err() == nil {
		s.log.Error("sweep failed", "err", err)
	}
	s.afterSweep(ctx, rep, now)
}

// Sweep runs one sweep now (tests and the CLI).
func (s *Stack) Sweep(ctx context.Context) (pipeline.SweepReport, error) {
	rep, err := s.Service.Sweep(ctx)
	s.afterSweep(ctx, rep, time.Now())
	return rep, err
}

// afterSweep is the local stack's part of a sweep, which S3 does by itself on AWS: when the
// sweep started an expiry pass, the old inputs are deleted (the bucket's lifecycle); when it
// expired jobs, the database keeps no copy of their rows (sl.ScrubDeleted); then the drop
// folders are swept (S3 notifications it lost).
func (s *Stack) afterSweep(ctx context.Context, rep pipeline.SweepReport, now time.Time) {
	if rep.PassStarted {
		s.expireInputs(ctx, now)
	}
	if rep.Expired > 0 {
		s.scrubPending.Store(true)
	}
	if s.scrubPending.Load() {
		s.scrub(ctx)
	}
	s.sweepDrops(ctx)
}

// eraseMessages deletes the queue messages of a job deleted on request before the scrub: the
// message of the shard whose record ended the job is still in the queue while its worker
// notifies the job and until it deletes it, and a scrub in between wrote it, with the job's id
// and input key, into ream.db, where it stayed until the next scrub (found by TestDeleteJob on a
// loaded machine). Should the deletion fail, that is logged, and each message stays until its
// handler deletes it (the worker, or for a dead letter the dead-letter handler).
func (s *Stack) eraseMessages(ctx context.Context, tenant, id string) {
	if _, err := s.Shards.DeleteJob(ctx, tenant, id); err != nil && ctx.Err() == nil {
		s.log.Warn("the deleted job's queue messages stay until their workers delete them", "job", id, "err", err)
	}
}

// scrub writes ream.db-wal into ream.db and truncates it (sl.ScrubDeleted), after a sweep that
// expired jobs and after a job deleted on request (pipeline.EraseJob: its rows leave the
// database's files before the request is answered); a scrub that fails (reads under way keep
// the write-ahead log from being truncated) is left pending for the next sweep.
func (s *Stack) scrub(ctx context.Context) {
	if err := sl.ScrubDeleted(ctx, s.db); err != nil {
		s.scrubPending.Store(true)
		if ctx.Err() == nil {
			s.log.Warn("the deleted jobs' records stay in the database's write-ahead log until the next sweep", "err", err)
		}
		return
	}
	s.scrubPending.Store(false)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// FileURI is the file: URI of the local path p, written as the local store writes the locations
// of its objects (their base is FileURI of the data directory's objects folder): the path
// percent-encoded, a space as %20, a non-ASCII letter as its UTF-8 bytes. The object's key
// follows the base as it is.
func FileURI(p string) string { return (&url.URL{Scheme: "file", Path: p}).String() }

// inflight counts the requests being served; once closed it admits none.
type inflight struct {
	mu     sync.Mutex
	idle   *sync.Cond
	n      int
	closed bool
}

func newInflight() *inflight {
	f := &inflight{}
	f.idle = sync.NewCond(&f.mu)
	return f
}

// enter admits a request, false once closeWait has begun.
func (f *inflight) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.n++
	return true
}

func (f *inflight) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n--; f.n == 0 {
		f.idle.Broadcast()
	}
}

// closeWait admits no more requests and waits for those being served to end.
func (f *inflight) closeWait() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for f.n > 0 {
		f.idle.Wait()
	}
}
