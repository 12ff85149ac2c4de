package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ream-dev/ream/shared/api"
)

// The coding service: topics (coding schemes), their models, and batch-code operations (an
// operation is a Ream job; its id is the job's). Its routes accept the API key, SigV4 where the
// deployment allows it, or an OAuth access token (Client.AccessToken, from Token).

// CodingScope is the scope Token asks for: the one the coding routes require.
const CodingScope = "ream/coding"

// Token gets an access token with the OAuth 2.0 client-credentials grant from TokenURL (HTTP
// Basic client credentials, scope CodingScope). Set Client.AccessToken to its AccessToken to use
// it; it expires after ExpiresIn seconds.
func (c *Client) Token(ctx context.Context, clientID, secret string) (*api.Token, error) {
	u := c.TokenURL
	if u == "" {
		u = strings.TrimRight(c.Endpoint, "/") + "/oauth2/token"
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {CodingScope}}
	var tok api.Token
	err := c.send(ctx, http.MethodPost, u, "application/x-www-form-urlencoded", []byte(form.Encode()), &tok,
		func(req *http.Request, _ []byte) error {
			req.SetBasicAuth(clientID, secret)
			return nil
		})
	if err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, errors.New("the token endpoint answered no access_token")
	}
	return &tok, nil
}

// UseClientCredentials makes c authenticate as the OAuth client id with secret: it gets an access
// token (Token) now, so that wrong credentials fail here, and a new one shortly before each
// expires (a fifth of its lifetime before, at most a minute; and once more when the API refuses
// one as expired), so that a long wait for a job outlives any one token (found from outside:
// `ream code --wait` failed with 401 once its first token expired, an hour in, and downloaded
// nothing). It takes the place of AccessToken and APIKey.
func (c *Client) UseClientCredentials(ctx context.Context, id, secret string) error {
	c.creds = &clientCredentials{id: id, secret: secret}
	_, err := c.creds.token(ctx, c)
	return err
}

// clientCredentials holds an OAuth client's credentials and its current access token.
type clientCredentials struct {
	id, secret string

	mu      sync.Mutex
	current string
	renew   time.Time // when current is to be replaced; zero: when the API refuses it
	now     func() time.Time
}

// token returns a current access token, getting a new one from c's token endpoint when there is
// none or it is due for renewal.
func (k *clientCredentials) token(ctx context.Context, c *Client) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now
	if k.now != nil {
		now = k.now
	}
	if k.current != "" && (k.renew.IsZero() || now().Before(k.renew)) {
		return k.current, nil
	}
	asked := now()
	tok, err := c.Token(ctx, k.id, k.secret)
	if err != nil {
		return "", err
	}
	k.current, k.renew = tok.AccessToken, time.Time{}
	if tok.ExpiresIn > 0 {
		life := time.Duration(tok.ExpiresIn) * time.Second
		k.renew = asked.Add(life - min(life/5, time.Minute))
	}
	return k.current, nil
}

// expire drops refused, the token the API refused, if it is still the current one, so that the
// next request gets a new one (another request refused with it may have got one already).
func (k *clientCredentials) expire(refused string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.current == refused {
		k.current = ""
	}
}

// Topics lists the coding schemes.
func (c *Client) Topics(ctx context.Context) ([]api.Topic, error) {
	var ts []api.Topic
	if err := c.do(ctx, http.MethodGet, "/v1/topics", nil, &ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// Topic returns a coding scheme with its classification.
func (c *Client) Topic(ctx context.Context, topic string) (*api.TopicDetail, error) {
	var t api.TopicDetail
	if err := c.do(ctx, http.MethodGet, topicPath(topic, ""), nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Models lists the models of a topic the caller may use (the shipped ones and its own), oldest
// version first.
func (c *Client) Models(ctx context.Context, topic string) ([]api.Model, error) {
	var ms []api.Model
	if err := c.do(ctx, http.MethodGet, topicPath(topic, "")+"/models", nil, &ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// Model returns one model of a topic; id "latest" is the newest the caller may use.
func (c *Client) Model(ctx context.Context, topic, id string) (*api.Model, error) {
	var m api.Model
	if err := c.do(ctx, http.MethodGet, topicPath(topic, id), nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// StartCoding starts a batch-code operation on a topic with model ("" or "latest": the newest).
// Upload the records with UploadCodingRecords; the operation starts when they arrive.
func (c *Client) StartCoding(ctx context.Context, topic, model string) (*api.CodingOperationStarted, error) {
	var op api.CodingOperationStarted
	if err := c.do(ctx, http.MethodPost, topicPath(topic, model)+"/batch-code", nil, &op); err != nil {
		return nil, err
	}
	return &op, nil
}

// CodingOperation returns an operation's status, with download URLs once it is complete.
func (c *Client) CodingOperation(ctx context.Context, topic, model, opID string) (*api.CodingOperationStatus, error) {
	var st api.CodingOperationStatus
	path := topicPath(topic, model) + "/batch-code/operations/" + url.PathEscape(opID)
	if err := c.do(ctx, http.MethodGet, path, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// CodingFinished reports whether an operation status is final.
func CodingFinished(status string) bool {
	return status != api.OpAwaitingInput && status != api.OpInProgress
}

// WaitCoding gets the operation's status every interval, showing each to fn (when not nil),
// until it is final (complete, failed, timed_out), and returns that status.
func (c *Client) WaitCoding(ctx context.Context, topic, model, opID string, every time.Duration, fn func(*api.CodingOperationStatus)) (*api.CodingOperationStatus, error) {
	var st *api.CodingOperationStatus
	err := poll(ctx, every, func() (bool, error) {
		var err error
		if st, err = c.CodingOperation(ctx, topic, model, opID); err != nil {
			return false, err
		}
		if fn != nil {
			fn(st)
		}
		return CodingFinished(st.OperationStatus), nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// UploadCodingRecords PUTs the JSON Lines records at path to the operation's upload URL with the
// SSE-KMS headers the URL is signed for (x-amz-server-side-encryption: aws:kms and the bucket's
// key; op.UploadHeaders, when the answer lists them, are sent exactly).
func (c *Client) UploadCodingRecords(ctx context.Context, op *api.CodingOperationStarted, path string) error {
	h := op.UploadHeaders // exactly as signed, when the answer lists them
	if len(h) == 0 {
		h = map[string]string{api.HeaderSSE: "aws:kms", api.HeaderSSEKMSKeyID: op.BucketKmsKeyArn}
	}
	return c.Upload(ctx, api.Presigned{URL: op.RequestUploadURL, Method: http.MethodPut, Headers: h}, path)
}

// DownloadCoding saves an operation's coded records (api.CodedName, coded.jsonl) and metadata
// (api.MetadataName, metadata.json) into dir and returns the files written. Any finished
// operation with an output has them: a complete one, and a failed one whose output holds an
// error line per record.
func (c *Client) DownloadCoding(ctx context.Context, st *api.CodingOperationStatus, dir string) ([]string, error) {
	if st.ResponseDownloadURL == "" {
		return nil, errors.New("operation " + st.OperationId + " is " + st.OperationStatus + ": nothing to download")
	}
	ds := []download{{api.Presigned{URL: st.ResponseDownloadURL}, api.CodedName}}
	if st.MetadataDownloadURL != "" {
		ds = append(ds, download{api.Presigned{URL: st.MetadataDownloadURL}, api.MetadataName})
	}
	return c.saveAll(ctx, dir, ds)
}

// topicPath is /v1/topics/{topic}, or /v1/topics/{topic}/models/{model} when model is given.
func topicPath(topic, model string) string {
	p := "/v1/topics/" + url.PathEscape(topic)
	if model != "" {
		p += "/models/" + url.PathEscape(model)
	}
	return p
}
