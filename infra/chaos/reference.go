package chaos

// Reference runs: the same job on a server that is never disturbed, with the same
// configuration (minus the webhook), on its own fresh data directory. Outputs are cached per
// input and request.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// serverConfig is the part of `ream serve`'s configuration a round chooses.
type serverConfig struct {
	ShardBytes int64
	Workers    int
	BatchSize  int
	StuckAfter time.Duration
	Visibility time.Duration
	Sweep      time.Duration
	MaxReceive int
	RefuseRate float64 // webhook receiver's refusal rate for first attempts
	PollEvery  time.Duration
	WebhookURL string
}

func (c serverConfig) json() ([]byte, error) {
	m := map[string]any{
		"keys":              map[string]string{apiKey: tenant, trainCredentials.Key: trainCredentials.Tenant},
		"shardBytes":        c.ShardBytes,
		"workers":           c.Workers,
		"batchSize":         c.BatchSize,
		"visibilityTimeout": c.Visibility.String(),
		"sweepInterval":     c.Sweep.String(),
		"stuckAfter":        c.StuckAfter.String(),
		"maxReceiveCount":   c.MaxReceive,
		"pollInterval":      c.PollEvery.String(),
	}
	// The coding clients: the default tenant's, and the training tenant's (see training.go).
	m["oauthClients"] = []map[string]string{
		{"clientId": codingClientID, "clientSecret": codingClientSecret, "tenant": tenant},
		{"clientId": trainCredentials.ClientID, "clientSecret": trainCredentials.ClientSecret, "tenant": trainCredentials.Tenant},
	}
	if c.WebhookURL != "" {
		m["webhooks"] = []map[string]string{{"url": c.WebhookURL, "tenant": tenant}, {"url": c.WebhookURL, "tenant": trainCredentials.Tenant}}
	}
	return json.MarshalIndent(m, "", "  ")
}

// locationBase is the local store's URI prefix for a data directory (as `ream serve` builds it).
func locationBase(dataDir string) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.Join(abs, "objects") + "/"}).String(), nil
}

// dropKey is where a drop-mode job's input goes: an object (line formats) or a prefix.
func dropKey(spec *jobSpec) string {
	base := "inputs/" + tenant + "/chaos/" + spec.Token + "/"
	if spec.Format == formatFile {
		return base + "files/"
	}
	return base + "input.txt"
}

// dropInput writes a drop-mode job's input straight into the data directory's object store and
// returns its S3Uri.
func dropInput(dataDir string, spec *jobSpec) (string, error) {
	loc, err := locationBase(dataDir)
	if err != nil {
		return "", err
	}
	key := dropKey(spec)
	objects := filepath.Join(dataDir, "objects")
	if spec.Format != formatFile {
		return loc + key, writeAtomic(filepath.Join(objects, filepath.FromSlash(key)), spec.Data)
	}
	for _, f := range spec.Files {
		if err := writeAtomic(filepath.Join(objects, filepath.FromSlash(key+f.Name)), f.Data); err != nil {
			return "", err
		}
	}
	return loc + key, nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ream-tmp-chaos-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// requestFor is the create request of a job; s3uri is empty for uploads.
func requestFor(spec *jobSpec, s3uri, token string) createRequest {
	req := createRequest{JobName: spec.Name, Analyses: spec.Analyses, LanguageCode: spec.LanguageCode, ClientRequestToken: token}
	req.InputDataConfig.InputFormat = spec.Format
	req.InputDataConfig.S3Uri = s3uri
	if spec.Kind == kindTopics {
		req.NumberOfTopics = spec.NumTopics
		seed := spec.TopicSeed
		req.RandomSeed = &seed
	}
	if spec.Kind == kindTraining {
		req.CodingConfig = &struct {
			Topic string `json:"Topic"`
		}{Topic: "occupation"}
	}
	if s3uri == "" && spec.Format == formatFile {
		for _, f := range spec.Files {
			req.UploadFiles = append(req.UploadFiles, f.Name)
		}
	}
	return req
}

// refRunner runs reference jobs, one undisturbed server per shard size.
type refRunner struct {
	bin, root string
	logf      func(string, ...any)

	mu      sync.Mutex
	servers map[int64]*server
	cache   map[string]*reference
	order   []string // cache keys, oldest first
	started int
	jobs    map[*server]int
}

// maxCached bounds the reference outputs kept in memory.
const maxCached = 6

func (rr *refRunner) close() {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	for _, s := range rr.servers {
		s.stop(sigterm, 15*time.Second)
	}
}

// recycle stops the reference servers that ran at least maxJobs jobs and deletes their data,
// so that a long run does not accumulate every reference job's input and output; the next job
// starts a fresh one.
func (rr *refRunner) recycle(maxJobs int) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	for k, s := range rr.servers {
		if rr.jobs[s] < maxJobs {
			continue
		}
		delete(rr.jobs, s)
		s.stop(sigterm, 15*time.Second)
		os.RemoveAll(filepath.Dir(s.dataDir))
		delete(rr.servers, k)
	}
}

func (rr *refRunner) server(ctx context.Context, cfg serverConfig) (*server, error) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if s, ok := rr.servers[cfg.ShardBytes]; ok {
		return s, nil
	}
	rr.started++
	dir := filepath.Join(rr.root, fmt.Sprintf("reference-%d-%d", rr.started, cfg.ShardBytes))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ref := cfg
	ref.WebhookURL = ""
	ref.BatchSize = 1
	ref.Workers = 2
	ref.Visibility = time.Minute // never redeliver a slow shard: the reference is undisturbed
	ref.StuckAfter = 10 * time.Minute
	ref.PollEvery = 50 * time.Millisecond
	b, err := ref.json()
	if err != nil {
		return nil, err
	}
	config := filepath.Join(dir, "config.json")
	if err := os.WriteFile(config, b, 0o644); err != nil {
		return nil, err
	}
	s := &server{bin: rr.bin, dataDir: filepath.Join(dir, "data"), config: config, logPath: filepath.Join(dir, "serve.log")}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	rr.servers[cfg.ShardBytes] = s
	return s, nil
}

// cacheKey identifies what a reference output depends on.
func cacheKey(spec *jobSpec, cfg serverConfig) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%v\x00%s\x00%d\x00%s\x00%d\x00%d\x00", spec.Format, spec.Mode, spec.Analyses, spec.LanguageCode, cfg.ShardBytes,
		spec.Kind, spec.NumTopics, spec.TopicSeed)
	h.Write(spec.Data)
	for _, f := range spec.Files {
		fmt.Fprintf(h, "\x00%s\x00%d\x00", f.Name, len(f.Data))
		h.Write(f.Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// get returns the reference output of spec, running it if it is not cached.
func (rr *refRunner) get(ctx context.Context, spec *jobSpec, cfg serverConfig) (*reference, error) {
	key := cacheKey(spec, cfg)
	rr.mu.Lock()
	if ref, ok := rr.cache[key]; ok {
		rr.mu.Unlock()
		return ref, nil
	}
	rr.mu.Unlock()
	s, err := rr.server(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("start the reference server: %w", err)
	}
	rr.mu.Lock()
	rr.jobs[s]++
	rr.mu.Unlock()
	ref, err := runReference(ctx, s, spec)
	if err != nil {
		return nil, err
	}
	if spec.Kind == "" {
		if err := ref.index(spec); err != nil {
			return nil, err
		}
	}
	rr.mu.Lock()
	if _, ok := rr.cache[key]; !ok {
		rr.cache[key] = ref
		rr.order = append(rr.order, key)
		for len(rr.order) > maxCached {
			delete(rr.cache, rr.order[0])
			rr.order = rr.order[1:]
		}
	}
	rr.mu.Unlock()
	return ref, nil
}

func runReference(ctx context.Context, s *server, spec *jobSpec) (*reference, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	c := &client{base: s.URL, hc: newHTTPClient()}
	if spec.Kind == kindCoding {
		return runReferenceCoding(ctx, c, spec)
	}
	if spec.Kind == kindTraining {
		return runReferenceTraining(ctx, s, c.as(trainCredentials), spec)
	}
	uri := ""
	if spec.Mode == modeDrop {
		var err error
		if uri, err = dropInput(s.dataDir, spec); err != nil {
			return nil, err
		}
	}
	res, err := c.create(ctx, requestFor(spec, uri, ""))
	if err != nil {
		return nil, fmt.Errorf("reference create: %w", err)
	}
	if spec.Mode == modeUpload {
		if spec.Format == formatFile {
			if len(res.Uploads) != len(spec.Files) {
				return nil, fmt.Errorf("reference create returned %d upload URLs for %d files", len(res.Uploads), len(spec.Files))
			}
			data := map[string][]byte{}
			for _, f := range spec.Files {
				data[f.Name] = f.Data
			}
			for _, u := range res.Uploads {
				if st, body, err := c.put(ctx, u, data[u.File], 0, nil); err != nil || st != 200 {
					return nil, fmt.Errorf("reference upload of %s: %d %s %v", u.File, st, body, err)
				}
			}
		} else {
			if res.Upload == nil {
				return nil, fmt.Errorf("reference create returned no upload URL")
			}
			if st, body, err := c.put(ctx, *res.Upload, spec.Data, 0, nil); err != nil || st != 200 {
				return nil, fmt.Errorf("reference upload: %d %s %v", st, body, err)
			}
		}
	}
	var v *jobView
	for {
		v, err = c.describe(ctx, res.JobId)
		if err != nil {
			return nil, fmt.Errorf("reference describe: %w", err)
		}
		if terminal(v.JobStatus) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reference job %s still %s: %w", res.JobId, v.JobStatus, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	archive, err := referenceArchive(ctx, c, res.JobId, v)
	if err != nil {
		return nil, err
	}
	if spec.Kind == kindTopics {
		if v.JobStatus != "COMPLETED" && v.JobStatus != "PARTIAL_SUCCESS" {
			return nil, fmt.Errorf("reference TOPICS job %s ended %s: %s", res.JobId, v.JobStatus, v.Message)
		}
		entries, err := tarEntries(archive, topicEntries)
		if err != nil {
			return nil, err
		}
		if msg := checkTopics(spec, entries, v.JobDetails); msg != "" {
			return nil, fmt.Errorf("reference TOPICS output: %s", msg)
		}
		return &reference{Status: v.JobStatus, Details: v.JobDetails, Entries: entries}, nil
	}
	out, err := outputEntry(archive)
	if err != nil {
		return nil, err
	}
	recs, err := parseOutput(out)
	if err != nil {
		return nil, fmt.Errorf("reference output: %w", err)
	}
	return &reference{Status: v.JobStatus, Details: v.JobDetails, Recs: recs}, nil
}

// referenceArchive downloads the output.tar.gz of the reference job id, which ended as v.
func referenceArchive(ctx context.Context, c *client, id string, v *jobView) ([]byte, error) {
	links, err := c.results(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reference results of %s (%s: %s): %w", id, v.JobStatus, v.Message, err)
	}
	archive, err := c.download(ctx, links.Output)
	if err != nil {
		return nil, fmt.Errorf("reference download: %w", err)
	}
	return archive, nil
}
