package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// TestPollUntilTerminal: without an event stream the client describes the job until it is
// terminal and reports its final counters, showing each state to the progress callback.
func TestPollUntilTerminal(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		status := job.InProgress
		if n >= 3 {
			status = job.PartialSuccess
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"JobId":"j1","JobStatus":%q,"JobDetails":{"InputDocumentsCount":%d,"ProcessedDocumentsCount":%d,"DocumentsWithErrorsCount":1},"OutputDataConfig":{"S3Uri":"s3://b/outputs/t/j1/"},"ManifestFilePath":"s3://b/outputs/t/j1/manifest.json"}`, status, n*10, n*10-1)
	}))
	defer srv.Close()
	var seen []job.Status
	n, err := (&Client{Endpoint: srv.URL}).Poll(context.Background(), "j1", time.Millisecond, func(ev Event) { seen = append(seen, ev.Job.JobStatus) })
	if err != nil {
		t.Fatal(err)
	}
	if n.JobStatus != job.PartialSuccess || n.InputDocumentsCount != 30 || n.DocumentsWithErrorsCount != 1 || n.OutputLocation == "" {
		t.Fatalf("notification %+v", n)
	}
	if len(seen) != 3 || seen[0] != job.InProgress || seen[2] != job.PartialSuccess {
		t.Fatalf("progress %v", seen)
	}
}
