package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ream-dev/ream/infra/local"
	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/errorrecord"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// newClient builds the API client from the environment. With REAM_CLIENT_ID and
// REAM_CLIENT_SECRET it gets an OAuth access token (client-credentials grant, from
// REAM_TOKEN_URL or the endpoint's /oauth2/token) and sends it instead of any key. Otherwise,
// against the local stack it sends the bearer key; against a deployed stack (an execute-api
// endpoint, or REAM_AUTH=sigv4) it signs each request with SigV4 using the standard AWS
// credential chain and region.
func newClient(ctx context.Context) (*client.Client, error) {
	c := &client.Client{Endpoint: os.Getenv("REAM_ENDPOINT"), APIKey: os.Getenv("REAM_API_KEY"), TokenURL: os.Getenv("REAM_TOKEN_URL"), HTTP: httpClient()}
	if c.Endpoint == "" {
		c.Endpoint = "http://" + local.DefaultAddr
	}
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Said as such (found from outside: "localhost:8080" failed each request with
		// `unsupported protocol scheme "localhost"`, "127.0.0.1:8080" with a URL parse error,
		// neither naming the variable).
		return nil, fmt.Errorf("REAM_ENDPOINT %q must be an absolute http or https URL, such as http://%s", c.Endpoint, local.DefaultAddr)
	}
	if id, secret := os.Getenv("REAM_CLIENT_ID"), os.Getenv("REAM_CLIENT_SECRET"); id != "" || secret != "" {
		if id == "" || secret == "" {
			return nil, errors.New("set both REAM_CLIENT_ID and REAM_CLIENT_SECRET (or neither)")
		}
		c.APIKey = ""
		if err := c.UseClientCredentials(ctx, id, secret); err != nil {
			return nil, fmt.Errorf("access token for client %s: %w", id, err)
		}
		return c, nil
	}
	if useSigV4(c.Endpoint) {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("AWS configuration for SigV4: %w", err)
		}
		c.Sign, c.APIKey = client.SigV4(cfg), ""
		return c, nil
	}
	if c.APIKey == "" {
		c.APIKey = local.DefaultKey
	}
	return c, nil
}

// responseHeaderTimeout bounds the wait for a response's headers once a request is sent (a
// variable so that tests can shorten it). Without it a server that accepts connections but
// never answers (stopped with SIGSTOP, wedged, a wrong port held by something else) held every
// command forever (found from outside: `ream describe` waited until it was killed). Bodies are
// not bounded: an upload may stream gigabytes, and the event stream's headers come at once
// while its events come as the job moves; a server answers every request's headers well
// within it (an upload's once its body is stored).
var responseHeaderTimeout = 2 * time.Minute

// httpClient is the commands' HTTP client: the default transport (proxy settings, a 30 s
// connect timeout, keep-alives) with responseHeaderTimeout.
func httpClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = responseHeaderTimeout
	return &http.Client{Transport: t}
}

func useSigV4(endpoint string) bool {
	switch strings.ToLower(os.Getenv("REAM_AUTH")) {
	case "sigv4", "iam":
		return true
	case "bearer", "key":
		return false
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	_, ok := client.ExecuteAPIRegion(u.Hostname())
	return ok
}

// parse parses flags that may come before or after the positional arguments. A flag mistake
// (an unknown flag, a bad value) is returned, not printed: the flag package prints its message
// above the flags and main prints the error it returns, so the message came twice (found from
// outside: `ream submit --bogus`); the flags are still listed on fset's output, after a mistake
// as for -h.
func parse(fset *flag.FlagSet, args []string) ([]string, error) {
	out := fset.Output()
	var printed bytes.Buffer
	fset.SetOutput(&printed)
	defer fset.SetOutput(out)
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			flags, _ := strings.CutPrefix(printed.String(), err.Error()+"\n")
			if errors.Is(err, flag.ErrHelp) {
				// Help asked for is the command's output, on standard output under the synopsis
				// run printed there (found from outside: `ream submit -h | grep token` found
				// nothing, the flags having gone to standard error).
				fmt.Fprint(os.Stdout, flags)
			} else if hasFlags(fset) {
				fmt.Fprint(out, flags) // (a command without flags would print a bare "Usage of X:")
			}
			return nil, usageError{err}
		}
		args = fset.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func submit(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("submit", flag.ContinueOnError)
	request := jobFlags(fset, "job name")
	token := fset.String("token", "", "ClientRequestToken: resubmitting with the same token returns the same job")
	wait := fset.Bool("wait", false, "show progress and return when the job's notification arrives")
	out := fset.String("out", "", "download and unpack the results into this directory (implies --wait)")
	path, err := parseOne(fset, args, "submit needs exactly one PATH")
	if err != nil {
		return err
	}
	req := request()
	req.ClientRequestToken = *token
	formatGiven := false
	fset.Visit(func(f *flag.Flag) { formatGiven = formatGiven || f.Name == "format" })
	_, _, err = submitJob(ctx, req, path, formatGiven, *wait || *out != "", *out)
	return err
}

// jobFlags defines on fset the flags that describe a job (submit's, and a drop rule's
// template); the function it returns builds the request from them once fset is parsed. name
// is the help of --name.
func jobFlags(fset *flag.FlagSet, name string) func() api.CreateJobRequest {
	analyses := fset.String("analyses", "LANGUAGE", "comma-separated analyses, e.g. LANGUAGE,SENTIMENT")
	format := fset.String("format", string(job.OneDocPerLine), "ONE_DOC_PER_LINE, JSONL or ONE_DOC_PER_FILE (a directory PATH: each file a document, or a line file)")
	jobName := fset.String("name", "", name)
	jobTag := fset.String("job-tag", "", "JobTag, repeated in the completion notification (1-64 of A-Z a-z 0-9 _ . - :)")
	lang := fset.String("language", "", "the documents' language code, if known")
	redact := fset.String("redact", "", "PII jobs: also write redacted copies, MASK or REPLACE_WITH_PII_ENTITY_TYPE")
	maskChar := fset.String("mask-char", "", "redaction by MASK with this character, one of !@#$%&* (default *; alone it means --redact MASK)")
	piiTypes := fset.String("pii-types", "", "redaction of these PII types only, comma-separated (default: all; alone it means the default --redact mode, REPLACE_WITH_PII_ENTITY_TYPE)")
	topic := fset.String("topic", "", "CODING and CODING_TRAINING jobs: the coding scheme, e.g. occupation")
	model := fset.String("model", "", "CODING jobs: the model id (default: the topic's latest)")
	numTopics := fset.Int("topics", 0, "TOPICS jobs: NumberOfTopics, 1-100 (default 10)")
	seed := fset.Int64("seed", 0, "TOPICS jobs: RandomSeed, for reproducible output (default: chosen by the service and shown)")
	return func() api.CreateJobRequest {
		req := api.CreateJobRequest{
			JobName: *jobName, JobTag: *jobTag, LanguageCode: *lang,
			InputDataConfig: job.InputDataConfig{InputFormat: job.Format(strings.ToUpper(*format))},
		}
		if *redact != "" || *maskChar != "" || *piiTypes != "" {
			// --pii-types alone: MaskMode takes the service's default (REPLACE_WITH_PII_ENTITY_TYPE).
			// --mask-char alone: a mask character only means something to MASK (found from
			// outside: the job got REPLACE_WITH_PII_ENTITY_TYPE and the character was ignored).
			mode := strings.ToUpper(*redact)
			if mode == "" && *maskChar != "" {
				mode = analysis.RedactMask
			}
			req.RedactionConfig = &job.RedactionConfig{MaskMode: mode, MaskCharacter: *maskChar}
			for _, t := range strings.Split(*piiTypes, ",") {
				if t = strings.TrimSpace(t); t != "" {
					req.RedactionConfig.PiiEntityTypes = append(req.RedactionConfig.PiiEntityTypes, strings.ToUpper(t))
				}
			}
		}
		if *topic != "" || *model != "" {
			req.CodingConfig = &job.CodingConfig{Topic: *topic, ModelId: *model}
		}
		fset.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "seed":
				req.RandomSeed = seed
			case "topics":
				req.NumberOfTopics = numTopics
			}
		})
		for _, a := range strings.Split(*analyses, ",") {
			if a = strings.TrimSpace(a); a != "" {
				req.Analyses = append(req.Analyses, job.Analysis(strings.ToUpper(a)))
			}
		}
		return req
	}
}

// submitJob creates the job and uploads path (createAndUpload); then it prints the job's id, or
// with wait follows the job until its notification (and downloads its results into out, if
// given). It returns the client and the job's id.
func submitJob(ctx context.Context, req api.CreateJobRequest, path string, formatGiven, wait bool, out string) (*client.Client, string, error) {
	c, res, err := createAndUpload(ctx, req, path, formatGiven)
	if err != nil {
		return nil, "", err
	}
	if !wait {
		fmt.Println(res.JobId)
		return c, res.JobId, nil
	}
	return c, res.JobId, follow(ctx, c, res.JobId, out, true)
}

// hasFlags reports whether fset defines any flag.
func hasFlags(fset *flag.FlagSet) bool {
	n := 0
	fset.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseOne parses flags around exactly one positional argument and returns it; need is the
// error when there is not exactly one.
func parseOne(fset *flag.FlagSet, args []string, need string) (string, error) {
	pos, err := parse(fset, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usageError{errors.New(need)}
	}
	return pos[0], nil
}

// InputTagKey is the tag submit adds to a job created with a ClientRequestToken: the SHA-256 of
// its input (inputDigest). It makes the input part of the request, so the same token with
// another input is refused (409) instead of returning the job of the first input.
const InputTagKey = "ream:input-sha256"

// createAndUpload checks the input at path, creates the job (req; with one upload per file
// found under path when it is a directory (dirFiles), or, for ONE_DOC_PER_FILE, path itself as the
// one document when it is a file; formatGiven says whether the format was asked for, see
// formatFits) and uploads path through the presigned URLs it gets. With a ClientRequestToken that names a
// job whose input has already arrived it uploads nothing; the job is the same input's
// (InputTagKey), else the service refuses the token with a 409.
func createAndUpload(ctx context.Context, req api.CreateJobRequest, path string, formatGiven bool) (*client.Client, *api.CreateJobResult, error) {
	// source is the local file an upload's File names.
	source := func(file string) string { return filepath.Join(path, filepath.FromSlash(file)) }
	// earlier is the request an earlier ream submit sent with a ClientRequestToken for this
	// line file, before it named the file's upload (dd66d91, 3 December 2026): no UploadFiles,
	// the input digest over the unnamed file. The service fingerprints the request, so a token
	// whose job an earlier release's submit created answers the named request 409; the earlier
	// request is how its retry finds that job (found upgrading a local stack: a submit cut by
	// the upgrade and run again with its token was refused, its job left to time out).
	var earlier *api.CreateJobRequest
	if inStore(path) {
		// PATH names an input already in the store: the job reads it there and nothing is
		// uploaded (the way to more than UploadFiles' 1,000 files, or to a file already there).
		req.InputDataConfig.S3Uri = path
	} else if st, err := statPath(path); err != nil {
		return nil, nil, err
	} else if st.IsDir() {
		// Every file under the directory is uploaded under its relative name: with
		// ONE_DOC_PER_FILE each is a document, with a line format each is a line file whose lines
		// are documents (found from outside: `submit DIR --format JSONL` was told to use
		// ONE_DOC_PER_FILE, which would analyse each JSONL file whole, braces and keys included).
		if slices.Contains(req.Analyses, job.CodingTraining) {
			return nil, nil, fmt.Errorf("%s is a directory: a training input is one JSON Lines file", path)
		}
		files, err := dirFiles(path)
		if err != nil {
			return nil, nil, err
		}
		req.UploadFiles = files
	} else if req.InputDataConfig.InputFormat == job.OneDocPerFile {
		// A single file is the job's one document, named by its base name. A regular file, as a
		// line file and a directory's files must be (found from outside: a named pipe, such as
		// `<(producer)`, was sent with no size, which S3 refuses, and with --token the digest
		// read it first, so that an empty document was uploaded).
		if err := regularFile(path, "ONE_DOC_PER_FILE takes a directory of files, or one file"); err != nil {
			return nil, nil, err
		}
		if err := utf8Name(filepath.Base(path)); err != nil {
			return nil, nil, err
		}
		req.UploadFiles = []string{filepath.Base(path)}
		source = func(string) string { return path }
	} else if err := regularFile(path, "use --format ONE_DOC_PER_FILE"); err != nil {
		return nil, nil, err
	} else if name := filepath.Base(path); plainUploadName(name) {
		if req.ClientRequestToken != "" {
			e := req
			e.Tags = slices.Clone(req.Tags)
			earlier = &e
		}
		// The file keeps its name in the output (File, redacted/<name>), as a ONE_DOC_PER_FILE
		// upload does (found from outside: every submitted line file was "input").
		req.UploadFiles = []string{name}
		source = func(string) string { return path }
	} else {
		fmt.Fprintf(os.Stderr, "note: %q is not a plain file name (a leading dot, a backslash or control character, not UTF-8, or over 255 bytes): the output names the file \"input\"\n", name)
	}
	if req.InputDataConfig.InputFormat.LineFormat() && !inStore(path) {
		first := path
		if len(req.UploadFiles) > 0 {
			first = source(req.UploadFiles[0])
		}
		if err := formatFits(req.InputDataConfig.InputFormat, formatGiven, first, slices.Contains(req.Analyses, job.CodingTraining)); err != nil {
			return nil, nil, err
		}
	}
	if req.ClientRequestToken != "" && !inStore(path) { // a location is part of the request itself
		files := req.UploadFiles
		if len(files) == 0 {
			files = []string{""}
		}
		digest, err := inputDigest(files, source)
		if err != nil {
			return nil, nil, err
		}
		req.Tags = append(req.Tags, job.Tag{Key: InputTagKey, Value: digest})
		if earlier != nil {
			digest, err := inputDigest([]string{""}, func(string) string { return path })
			if err != nil {
				return nil, nil, err
			}
			earlier.Tags = append(earlier.Tags, job.Tag{Key: InputTagKey, Value: digest})
		}
	}

	c, err := newClient(ctx)
	if err != nil {
		return nil, nil, err
	}
	if ctx.Err() != nil {
		return nil, nil, fmt.Errorf("%v: nothing was created", context.Cause(ctx)) // before the create was sent
	}
	res, err := c.CreateJob(ctx, req)
	if err != nil && ctx.Err() != nil {
		// Interrupted (Ctrl-C, SIGTERM) once the create was sent: the server may have stored the
		// job, which then runs (the local stack plans it inside the create, to its end). Said,
		// with how to find it (it printed only the request's error, as if nothing was created).
		again := "submitting again creates another job"
		if !inStore(path) {
			// A local file's job waits for the upload this submit no longer makes: it does not run.
			if req.ClientRequestToken != "" {
				again = fmt.Sprintf("submitting again with --token %q returns it and uploads the input", req.ClientRequestToken)
			}
			return nil, nil, fmt.Errorf("%v while the job was being created: it may have been created, waiting for its input, which was not uploaded (it does not run): `ream list` shows it AWAITING_INPUT, `ream stop JOB` stops it, else it becomes TIMED_OUT when its upload URL expires; %s", context.Cause(ctx), again)
		}
		if req.ClientRequestToken != "" {
			again = fmt.Sprintf("submitting again with --token %q returns it", req.ClientRequestToken)
		}
		return nil, nil, fmt.Errorf("%v while the job was being created: it may have been created, and then runs: `ream list` shows it, `ream stop JOB` stops it; %s", context.Cause(ctx), again)
	}
	if err != nil {
		var ae *client.APIError
		if req.ClientRequestToken != "" && errors.As(err, &ae) && ae.Status == http.StatusConflict {
			if earlier == nil {
				return nil, nil, fmt.Errorf("%s was not submitted: ClientRequestToken %q names a job with another input or other options (%w)", path, req.ClientRequestToken, err)
			}
			// A token already used cannot create a job: this finds the job an earlier submit
			// created for the same input and options, or is refused as well.
			res, err = c.CreateJob(ctx, *earlier)
			if err != nil {
				return nil, nil, fmt.Errorf("%s was not submitted: ClientRequestToken %q names a job with another input or other options (%w)", path, req.ClientRequestToken, err)
			}
			fmt.Fprintf(os.Stderr, "note: ClientRequestToken %q names the job an earlier release's ream submit created for this input: its output names the file \"input\", not %q\n", req.ClientRequestToken, filepath.Base(path))
			req = *earlier
		} else {
			return nil, nil, err
		}
	}
	if res.JobStatus != job.AwaitingInput && req.InputDataConfig.S3Uri == "" {
		// The token named a job that already has this input (the request, its input's digest
		// included, is the same): a retry, nothing to upload.
		fmt.Fprintf(os.Stderr, "job %s already exists for ClientRequestToken %q with this input (%s); nothing to upload\n", res.JobId, req.ClientRequestToken, res.JobStatus)
	} else {
		fmt.Fprintf(os.Stderr, "job %s created (%s)\n", res.JobId, res.JobStatus)
	}
	// abandon stops the job whose input could not be uploaded, so that it does not wait for its
	// upload URL to expire (found from outside: an upload refused 413 left the job
	// AWAITING_INPUT for an hour). With a ClientRequestToken the job is kept: resubmitting with
	// the token is how a failed upload is retried.
	// The stop has a context of its own: when the upload failed because the command was
	// interrupted (Ctrl-C, SIGTERM), ctx is done, and a stop sent with it failed at once (found
	// from outside: an interrupted upload left its job AWAITING_INPUT for an hour, "could not be
	// stopped (… interrupt signal received)").
	abandon := func(err error) error {
		if req.ClientRequestToken == "" {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
			defer cancel()
			if _, serr := c.Stop(sctx, res.JobId); serr == nil {
				fmt.Fprintf(os.Stderr, "job %s stopped: its input could not be uploaded\n", res.JobId)
			} else {
				// Said, not swallowed (found from outside, on a full disk: the upload was stored
				// but not queued, the stop failed, and nothing said the job was left to the
				// sweeper, which starts a job whose input is in the store).
				fmt.Fprintf(os.Stderr, "job %s could not be stopped (%v): it may still start if its input reached the store, or time out when its upload URL expires; `ream stop %s` stops it\n", res.JobId, serr, res.JobId)
			}
		}
		return err
	}
	switch {
	case res.Upload != nil:
		if err := c.Upload(ctx, res.Upload.Presigned, path); err != nil {
			return nil, nil, abandon(fmt.Errorf("upload: %w", err))
		}
		fmt.Fprintf(os.Stderr, "uploaded %s\n", path)
	case len(res.Uploads) > 0:
		for _, u := range res.Uploads {
			if err := c.Upload(ctx, u.Presigned, source(u.File)); err != nil {
				return nil, nil, abandon(fmt.Errorf("upload %s: %w", u.File, err))
			}
		}
		if len(res.Uploads) == 1 {
			fmt.Fprintf(os.Stderr, "uploaded %s\n", source(res.Uploads[0].File))
		} else {
			fmt.Fprintf(os.Stderr, "uploaded %d files\n", len(res.Uploads))
		}
	}
	return c, res, nil
}

// abandonTimeout bounds the stop of a job whose input could not be uploaded, which is sent
// even when the command was interrupted.
const abandonTimeout = 10 * time.Second

// dirFiles lists the files under dir to upload, by their slash-separated names relative to
// dir, in lexical order. Names starting with "." below dir (.DS_Store, .git/, an editor's or copy
// tool's temporary file) are skipped, folders with everything in them, and submit says how many
// it skipped; drop rules ignore the same names. A link to a file is followed (the file's bytes
// are uploaded under the link's name, wherever it points); a link to a directory, a dangling
// link, a named pipe or an unreadable file is refused before the job exists (links to
// directories are not followed, so a link back up the tree cannot loop). dir itself may be a
// link to a directory.
func dirFiles(dir string) ([]string, error) {
	var files, hidden []string
	root := dir
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		root = dir + string(filepath.Separator) // walk the directory the link names
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			hidden = append(hidden, filepath.ToSlash(rel))
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		// Every file must be readable before the job exists: a dangling link or a
		// link to a directory found while uploading left a job waiting for the rest.
		if err := regularFile(p, "ream submit uploads the files of PATH, and does not follow links to directories"); err != nil {
			return err
		}
		if err := utf8Name(rel); err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(hidden) > 0 {
		shown := strings.Join(hidden[:min(len(hidden), 5)], ", ")
		if len(hidden) > 5 {
			shown += ", …"
		}
		fmt.Fprintf(os.Stderr, "note: skipped %d hidden name(s) under %s (starting with \".\"; not uploaded): %s\n", len(hidden), dir, shown)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no files", dir)
	}
	return files, nil
}

// formatFits reads the first line of file (a line input) and refuses, or warns about, a format
// that does not fit it: a file of JSON Lines records submitted without --format would be read as
// ONE_DOC_PER_LINE, each whole line, braces and keys included, a document (refused: --format
// says which was meant); a file given --format JSONL whose first line is not a JSON object
// would make that line an INVALID_RECORD error record (a note; the rest may be records).
// A training file (train) has no --format to change: its note says what train reads instead.
func formatFits(format job.Format, given bool, file string, training bool) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	// readLine reads a whole line, up to maxProbeLine bytes (found from outside: a first record
	// longer than the buffer was read in part, did not decode, and the file was taken for
	// plain text). A line ends in LF, CR or CRLF, as the service reads lines (found from
	// outside: a file of CR-terminated records was read to its first LF, as one line).
	readLine := func() ([]byte, error) {
		var l []byte
		for {
			if _, err := r.Peek(1); err != nil {
				return l, err
			}
			buf, _ := r.Peek(r.Buffered()) // cannot fail: the bytes are buffered
			i := bytes.IndexAny(buf, "\r\n")
			if i < 0 {
				l = append(l, buf...)
				r.Discard(len(buf))
				if len(l) > maxProbeLine {
					return l, nil
				}
				continue
			}
			l = append(l, buf[:i]...)
			r.Discard(i + 1)
			if buf[i] == '\r' {
				if next, _ := r.Peek(1); len(next) == 1 && next[0] == '\n' {
					r.Discard(1)
				}
			}
			return l, nil
		}
	}
	var line []byte
	for len(line) == 0 {
		l, err := readLine()
		l = bytes.TrimSpace(bytes.TrimPrefix(l, []byte("\uFEFF")))
		if len(l) > 0 || err != nil {
			line = l
			break
		}
	}
	if len(line) == 0 {
		return nil
	}
	switch format {
	case job.OneDocPerLine:
		var rec map[string]json.RawMessage
		if given || json.Unmarshal(line, &rec) != nil {
			return nil
		}
		if _, ok := rec["text"]; !ok {
			return nil
		}
		return fmt.Errorf(`%s holds JSON Lines records ({"text": …}), and without --format it would be read as ONE_DOC_PER_LINE, each whole line (braces and keys included) a document: give --format JSONL to analyse the records' text, or --format ONE_DOC_PER_LINE to analyse the lines as they are`, file)
	case job.JSONLines:
		switch {
		case line[0] == '{':
		case training:
			// (found from outside: train, which has no --format, was pointed to --format ONE_DOC_PER_LINE)
			fmt.Fprintf(os.Stderr, "note: the first line of %s is not a JSON object: train reads JSON Lines records {\"code\",\"occp_text\",\"tasks_text\"}, and every line that is not one is an INVALID_RECORD error record\n", file)
		default:
			fmt.Fprintf(os.Stderr, "note: the first line of %s is not a JSON object: with --format JSONL every such line is an INVALID_RECORD error record (plain text, a line a document, is --format ONE_DOC_PER_LINE)\n", file)
		}
	}
	return nil
}

// maxProbeLine bounds the first line formatFits reads whole: a longer one is over any
// document limit of every analysis as the defaults have them.
const maxProbeLine = 16 << 20

// plainUploadName reports whether a line file's base name can name its upload as it is (no
// leading dot, no backslash or control character, valid UTF-8, at most 255 bytes); a file with
// another name is uploaded as the job's one input object ("input").
func plainUploadName(name string) bool {
	if name == "" || strings.HasPrefix(name, ".") || len(name) > layout.MaxSegmentBytes || !utf8.ValidString(name) {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool { return r == '\\' || r == '/' || unicode.IsControl(r) })
}

// utf8Name refuses a file name that is not UTF-8 before the job exists: the service's names
// (S3 keys, UploadFiles, the output's File) are UTF-8, and such a name could not be uploaded.
func utf8Name(name string) error {
	if utf8.ValidString(name) {
		return nil
	}
	return fmt.Errorf("file name %q is not UTF-8 (S3 keys and the service's file names are UTF-8): rename it (e.g. convmv -f latin1 -t utf-8 --notest)", name)
}

// inStore reports whether submit's PATH names an input in the service's store (its S3Uri:
// s3://…, or locally file://… under the data directory's objects/) rather than a local file.
func inStore(path string) bool {
	return strings.HasPrefix(path, "s3://") || strings.HasPrefix(path, "file://")
}

// inputDigest is the hex SHA-256 over the names and contents of files (read from source(file)).
func inputDigest(files []string, source func(string) string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		fh, err := os.Open(source(f))
		if err != nil {
			return "", err
		}
		st, err := fh.Stat()
		if err == nil {
			fmt.Fprintf(h, "%q %d\n", f, st.Size())
			_, err = io.Copy(h, fh)
		}
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// statPath is os.Stat of a command's PATH or FILE argument. "-" (when no file has that name)
// is said to be standard input, which no command reads, as a usage error (found from outside:
// `producer | ream submit -` said only "stat -: no such file or directory"): an upload
// sends its size first, and a named pipe is refused for the same reason (regularFile).
func statPath(path string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	if path == "-" && errors.Is(err, fs.ErrNotExist) {
		return nil, usagef(`"-": ream does not read its input from standard input (an upload sends its size first): write it to a file and give the file's path`)
	}
	return st, err
}

// regularFile checks that path is a file, not a directory (hint says what to do instead).
func regularFile(path, hint string) error {
	st, err := statPath(path)
	switch {
	case err != nil:
		return err
	case st.IsDir():
		return fmt.Errorf("%s is a directory: %s", path, hint)
	case !st.Mode().IsRegular():
		// A named pipe would block the open below (and the upload) forever; a device is no file.
		return fmt.Errorf("%s is not a regular file (%s): only regular files are uploaded", path, st.Mode().Type())
	}
	f, err := os.Open(path) // readable, not only there: checked before any job is created
	if err != nil {
		return err
	}
	return f.Close()
}

// follow shows a progress bar from the job's live counters (pushed over its event stream) and
// returns when the completion notification arrives. reached says whether the server has
// answered the command already (submit's create, retry's): when it has not (`ream wait`), a
// connection that cannot be made on the first request is an error, not a server to wait for
// (found from outside: `ream wait` with a mistyped port or before `ream serve` was started
// waited forever, saying it had "lost" a server it never reached, and a CI job hung until its
// own time limit).
func follow(ctx context.Context, c *client.Client, id, out string, reached bool) error {
	bar := newProgress(os.Stderr, isTerminal(os.Stderr))
	update := func(ev client.Event) {
		if ev.Job != nil {
			bar.update(ev.Job)
		}
	}
	wait := func() (*api.Notification, error) { return c.Follow(ctx, id, update) }
	n, err := wait()
	if !reached && errors.As(err, new(*client.UnreachableError)) {
		// (the client says "no server answers at …"; exitStatus, what to do)
		return fmt.Errorf("%w; `ream wait` waits for a server that goes away while it waits, not for one it never reached", err)
	}
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && (apiErr.Status == http.StatusNotFound || apiErr.Status == http.StatusTooManyRequests) {
		// A deployed stack has no event stream (its notifications go to SNS), and a local one
		// caps a tenant's streams: poll instead.
		wait = func() (*api.Notification, error) { return c.Poll(ctx, id, 2*time.Second, update) }
		n, err = wait()
	}
	for said := false; lostServer(err) && ctx.Err() == nil; {
		// The server stopped (or the connection broke) while the job ran: the job resumes when
		// the server does, so wait for it again.
		if !said {
			bar.done()
			fmt.Fprintf(os.Stderr, "ream: lost the server's event stream (%v); waiting for the server again: the job goes on (Ctrl-C stops waiting, not the job)\n", err)
			said = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(followRetry):
		}
		if ctx.Err() == nil {
			n, err = wait() // the way that worked: the stream, or polling
		}
	}
	bar.done()
	if err != nil && ctx.Err() != nil {
		// Ctrl-C (or SIGTERM) stops the waiting, not the job: said, with how to go on (found
		// from outside: only "interrupt signal received" was printed).
		return fmt.Errorf("%v: stopped waiting; job %s goes on running on the server: `ream wait %s` follows it again, `ream stop %s` stops it", context.Cause(ctx), id, id, id)
	}
	if err != nil {
		return err
	}
	printSummary(os.Stdout, n)
	if out != "" && n.OutputLocation != "" {
		files, err := c.DownloadResults(ctx, id, out)
		if err != nil {
			return fmt.Errorf("download results: %w", err)
		}
		fmt.Printf("results:    %s\n", strings.Join(files, ", "))
	}
	if n.JobStatus == job.Failed || n.JobStatus == job.TimedOut || n.JobStatus == job.Stopped {
		// STOPPED too: its output, when it has one, lacks the shards it skipped (found from
		// outside: `submit --wait --out DIR && publish DIR` published a stopped job's part).
		return jobEndedError{fmt.Errorf("job %s ended %s", id, n.JobStatus)}
	}
	return nil
}

// followRetry is how often a wait whose server went away tries to reach it again.
var followRetry = 2 * time.Second

// lostServer reports whether err means the server went away mid-wait (the stream ended, the
// connection was refused or broke, the server answered 5xx) rather than a refusal.
func lostServer(err error) bool {
	if err == nil {
		return false
	}
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500
	}
	// A refused or broken connection; not any *url.Error (it is a net.Error too), since a bad
	// endpoint ("unsupported protocol scheme", an unknown host) would be waited on forever.
	var opErr *net.OpError
	var dnsErr *net.DNSError // an unknown host is a *net.OpError too
	if errors.As(err, &dnsErr) {
		return false
	}
	// A server that took the request and did not answer in time (responseHeaderTimeout) is
	// one that stalled: waited for as one that stopped.
	var netErr net.Error
	timedOut := errors.As(err, &netErr) && netErr.Timeout()
	return errors.Is(err, client.ErrStreamEnded) || errors.As(err, &opErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || timedOut
}

func printSummary(w io.Writer, n *api.Notification) {
	fmt.Fprintf(w, "job:        %s\n", strings.TrimSpace(n.JobId+" "+n.JobName)) // (no trailing space without a name)
	fmt.Fprintf(w, "status:     %s\n", n.JobStatus)
	if n.Message != "" {
		fmt.Fprintf(w, "message:    %s\n", n.Message)
	}
	fmt.Fprintf(w, "documents:  %d (%d analysed, %d with errors)\n", n.InputDocumentsCount, n.ProcessedDocumentsCount, n.DocumentsWithErrorsCount)
	if n.OutputLocation != "" {
		fmt.Fprintf(w, "output:     %s\n", n.OutputLocation)
	}
}

// progress draws a job's progress on w. On a terminal it redraws one line in place ("\r")
// whenever the frame changes. Anywhere else (a log file, a CI job, a pipe) redrawing would
// pile up thousands of frames on one line, so it writes whole lines instead, without the rate
// and ETA, and only when the status or stage changes or, for the bar, at most every
// progressLineEvery.
type progress struct {
	w      io.Writer
	lines  bool             // not a terminal: whole lines, throttled
	now    func() time.Time // the clock of the throttle
	last   string           // the last frame drawn
	lastAt time.Time        // when a line was last written (lines mode)
	lastSt string           // the status and stage of that line
}

// progressLineEvery is the least time between two progress lines off a terminal.
const progressLineEvery = 10 * time.Second

func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, lines: !terminal, now: time.Now}
}

// isTerminal reports whether f is a character device (a terminal), not a file or a pipe.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) update(j *job.Job) {
	if p.lines {
		p.line(j)
		return
	}
	line := progressFrame(j, true)
	if line == "" || line == p.last {
		return
	}
	out := line
	if pad := len(p.last) - len(line); pad > 0 {
		out += strings.Repeat(" ", pad) // wipe the rest of a longer previous frame
	}
	fmt.Fprint(p.w, "\r"+out)
	p.last = line
}

// line writes j's frame as a line of its own when it changed and either the status or stage
// changed or progressLineEvery has passed since the last line.
func (p *progress) line(j *job.Job) {
	frame := progressFrame(j, false)
	if frame == "" || frame == p.last {
		return
	}
	st := string(j.JobStatus) + " " + j.JobDetails.Stage
	now := p.now()
	if st == p.lastSt && now.Sub(p.lastAt) < progressLineEvery {
		return
	}
	fmt.Fprintln(p.w, frame)
	p.last, p.lastAt, p.lastSt = frame, now, st
}

// progressFrame renders one frame of the bar for j. Until the job has shards (its upload event
// is still queued, or it is being planned) there is nothing to fill: it says so rather than
// showing an empty 0/0 bar; a job that ends before it had shards gets no frame (the summary
// says what happened). rate adds the job's rate and ETA.
func progressFrame(j *job.Job, rate bool) string {
	d := j.JobDetails
	if d.ShardsTotal == 0 {
		if j.JobStatus.Terminal() {
			return ""
		}
		return fmt.Sprintf("waiting for the job to start (%s)", j.JobStatus)
	}
	const width = 30
	filled := width * min(d.ShardsDone, d.ShardsTotal) / d.ShardsTotal
	line := fmt.Sprintf("[%s%s] %d/%d shards  %d documents  %d errors  %s",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), d.ShardsDone, d.ShardsTotal,
		d.InputDocumentsCount, d.DocumentsWithErrorsCount, j.JobStatus)
	if d.Stage != "" {
		line += "  " + d.Stage // a TOPICS job's stage: its bar counts the shards of the stages begun
	}
	if rate {
		line += rateETA(d, time.Now())
	}
	return line
}

// rateETA renders a running job's rate and estimated time left for the progress bar ("" when
// the job has neither).
func rateETA(d job.Details, now time.Time) string {
	var out string
	if d.DocumentsPerSecond != nil && *d.DocumentsPerSecond > 0 {
		out += fmt.Sprintf("  %.0f docs/s", *d.DocumentsPerSecond)
	}
	if t := d.EstimatedCompletionTime; t != nil {
		left := max(t.Sub(now), 0).Round(time.Second)
		out += fmt.Sprintf("  ETA %s (%s)", left, t.Local().Format("15:04:05"))
	}
	return out
}

// done ends the bar's line; a later update starts a new one.
func (p *progress) done() {
	if p.last != "" && !p.lines {
		fmt.Fprintln(p.w)
		p.last = ""
	}
}

// printJSON prints v as indented JSON, without HTML escaping: a URL's "&" stays "&", so a
// presigned URL copied from the output works.
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func oneJob(name string, args []string) (string, error) {
	if len(args) != 1 {
		return "", usagef("%s needs exactly one JOB id", name)
	}
	return args[0], nil
}

// oneArg parses the arguments of a command that takes one argument (what) and no flags
// (describe, stop, wait, drop-rules get and delete): an argument starting with "-" is an
// unknown flag, a usage error as for every other command (found from outside: `ream stop --x`
// was taken for the job id "--x", `ream drop-rules delete --x` for the rule "--x").
func oneArg(cmd, what string, args []string) (string, error) {
	return parseOne(flag.NewFlagSet(cmd, flag.ContinueOnError), args, fmt.Sprintf("%s needs exactly one %s", cmd, what))
}

func describe(ctx context.Context, args []string) error {
	id, err := oneArg("describe", "JOB id", args)
	if err != nil {
		return err
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	j, err := c.Describe(ctx, id)
	if err != nil {
		return err
	}
	return printJSON(j)
}

func stopJob(ctx context.Context, args []string) error {
	id, err := oneArg("stop", "JOB id", args)
	if err != nil {
		return err
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	j, err := c.Stop(ctx, id)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s\n", j.JobId, j.JobStatus)
	return nil
}

func deleteJob(ctx context.Context, args []string) error {
	id, err := oneArg("delete", "JOB id", args)
	if err != nil {
		return err
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	if err := c.Delete(ctx, id); err != nil {
		return err
	}
	fmt.Printf("%s deleted\n", id)
	return nil
}

func waitJob(ctx context.Context, args []string) error {
	id, err := oneArg("wait", "JOB id", args)
	if err != nil {
		return err
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	return follow(ctx, c, id, "", false)
}

func list(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("list", flag.ContinueOnError)
	status := fset.String("status", "", "only jobs in this status")
	name := fset.String("name", "", "only jobs with this name")
	maxN := fset.Int("max", 0, "at most this many jobs (0, the default: all)")
	before := fset.String("before", "", "submitted before this RFC 3339 time")
	after := fset.String("after", "", "submitted after this RFC 3339 time")
	asJSON := fset.Bool("json", false, "one line of JSON per job (the job object as the API lists it: describe's fields but the rate and estimate) instead of the table")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("list takes no arguments (got %q)", pos)
	}
	if *maxN < 0 {
		return usagef("--max must be 0 (all jobs) or more, not %d", *maxN)
	}
	f := api.ListFilter{JobName: *name, Status: job.Status(strings.ToUpper(*status))}
	for _, t := range []struct {
		name, s string
		into    *time.Time
	}{{"--before", *before, &f.SubmittedBefore}, {"--after", *after, &f.SubmittedAfter}} {
		if t.s == "" {
			continue
		}
		v, err := api.ParseTime(t.name, t.s) // as the API reads its filters
		if err != nil {
			return usagef("%s", strings.TrimPrefix(err.Error(), job.ErrInvalid.Error()+": "))
		}
		*t.into = v
	}
	if *before != "" {
		f.SubmittedBefore = api.BeforeBound(f.SubmittedBefore) // year 1 lists none, as on the API
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	// --json: a script's way to read the list (found from outside: the table's columns are
	// split by spaces, which a job's name may hold, and an unnamed job's is empty, so `awk`
	// read the wrong column); written as each page arrives.
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	var tw table
	tw.row("JOB ID", "NAME", "STATUS", "SUBMITTED", "DOCUMENTS", "ERRORS")
	shown := 0
	for {
		if *maxN > 0 {
			f.MaxResults = min(*maxN-shown, pipeline.DefaultListResults)
		}
		page, err := c.List(ctx, f)
		if err != nil {
			return err
		}
		for _, j := range page.Jobs {
			if *asJSON {
				if err := enc.Encode(j); err != nil {
					return err
				}
				shown++
				continue
			}
			tw.row(j.JobId, j.JobName, string(j.JobStatus), j.SubmitTime.Format(time.RFC3339),
				strconv.FormatInt(j.JobDetails.InputDocumentsCount, 10), strconv.FormatInt(j.JobDetails.DocumentsWithErrorsCount, 10))
			shown++
		}
		if page.NextToken == "" || (*maxN > 0 && shown >= *maxN) {
			break
		}
		f.NextToken = page.NextToken
	}
	if *asJSON {
		return nil
	}
	return tw.write(os.Stdout)
}

func results(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("results", flag.ContinueOnError)
	out := fset.String("out", "", "directory to download and unpack the results into")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	id, err := oneJob("results", pos)
	if err != nil {
		return err
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	if *out == "" {
		links, err := c.Results(ctx, id)
		if err != nil {
			return err
		}
		return printJSON(links)
	}
	files, err := c.DownloadResults(ctx, id, *out)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Println(f)
	}
	return nil
}

// errorsCmd prints a job's error records as JSON lines (the archive's lines), every page of them.
func errorsCmd(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("errors", flag.ContinueOnError)
	code := fset.String("code", "", "only records with this ErrorCode (theirs or a failed analysis's)")
	analysis := fset.String("analysis", "", "only records where this analysis failed")
	maxN := fset.Int("max", 0, "at most this many records (0, the default: all)")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	id, err := oneJob("errors", pos)
	if err != nil {
		return err
	}
	if *maxN < 0 {
		return usagef("--max must be 0 (all records) or more, not %d", *maxN)
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	f := api.ErrorsFilter{ErrorCode: strings.ToUpper(*code), Analysis: job.Analysis(strings.ToUpper(*analysis))}
	// A write that fails (standard output redirected to a full disk, a closed pipe) is the
	// command's error, as for list: it ignored it, and exited 0 with the records cut short.
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush() // the pages written before an error
	shown := 0
	for {
		if *maxN > 0 {
			f.MaxResults = min(*maxN-shown, errorrecord.MaxResults)
		}
		page, err := c.Errors(ctx, id, f)
		if err != nil {
			return err
		}
		for _, e := range page.Errors {
			if _, err := out.Write(e); err != nil {
				return err
			}
			if err := out.WriteByte('\n'); err != nil {
				return err
			}
		}
		shown += len(page.Errors)
		if page.NextToken == "" || (*maxN > 0 && shown >= *maxN) {
			return out.Flush()
		}
		f.NextToken = page.NextToken
	}
}

// retryCmd re-runs a finished job's failed documents as a child job.
func retryCmd(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("retry", flag.ContinueOnError)
	codes := fset.String("codes", "", "comma-separated error codes to re-run (default "+strings.Join(pipeline.DefaultRetryCodes, ",")+")")
	name := fset.String("name", "", "the child job's name (default: the parent's name + \" retry\")")
	token := fset.String("token", "", "ClientRequestToken: the same token returns the same child")
	wait := fset.Bool("wait", false, "show progress and wait for the child to finish")
	out := fset.String("out", "", "directory to download and unpack the child's results into (implies --wait)")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	id, err := oneJob("retry", pos)
	if err != nil {
		return err
	}
	req := api.RetryRequest{JobName: *name, ClientRequestToken: *token}
	for _, c := range strings.Split(*codes, ",") {
		if c = strings.TrimSpace(c); c != "" {
			req.ErrorCodes = append(req.ErrorCodes, strings.ToUpper(c))
		}
	}
	codesGiven := false
	fset.Visit(func(f *flag.Flag) { codesGiven = codesGiven || f.Name == "codes" })
	if codesGiven && len(req.ErrorCodes) == 0 {
		// An explicitly empty list is a mistake, as the API's `[]` is (found from outside: `--codes
		// ""` silently re-ran the defaults, since an empty list is not sent).
		return usagef("--codes %q names no error code: give one or more per-document error codes, comma-separated, or leave --codes out for the defaults (%s)",
			*codes, strings.Join(pipeline.DefaultRetryCodes, ","))
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	res, err := c.Retry(ctx, id, req)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s (retry of %s: %s)\n", res.JobId, res.JobStatus, id, strings.Join(res.RetryErrorCodes, ","))
	if !*wait && *out == "" {
		return nil
	}
	return follow(ctx, c, res.JobId, *out, true)
}
