package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
)

// TestWrongEndpoint: an endpoint that names another HTTP server (an HTML error page, a 200 that
// is not JSON) is said to be one, on one line, instead of the page printed whole or a bare
// "invalid character '<' looking for beginning of value"; the API's own errors are unchanged.
func TestWrongEndpoint(t *testing.T) {
	page := "<!DOCTYPE HTML>\n<html>\n  <head><title>Error response</title></head>\n  <body>\n" + strings.Repeat("  <p>Nothing matches the given URI.</p>\n", 40) + "</body>\n</html>\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/jobs":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>hi</html>")
		case "/v1/jobs/api-error":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"code":"ResourceNotFound","message":"job api-error not found"}`)
		default:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, page)
		}
	}))
	defer srv.Close()
	c := &Client{Endpoint: srv.URL, APIKey: "k"}
	ctx := context.Background()

	_, err := c.Describe(ctx, "x")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Fatalf("describe on an HTML server: %v; want an APIError 404", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || len(msg) > 500 || !strings.Contains(msg, "<!DOCTYPE HTML> <html>") ||
		!strings.Contains(msg, "GET "+srv.URL+"/v1/jobs/x did not answer with the API's JSON: is "+srv.URL+" the Ream API's endpoint?") {
		t.Errorf("describe on an HTML server: %q", msg)
	}

	_, err = c.List(ctx, api.ListFilter{})
	if err == nil || !strings.Contains(err.Error(), "GET "+srv.URL+"/v1/jobs did not answer with the API's JSON") || !strings.Contains(err.Error(), "Ream API's endpoint") {
		t.Errorf("list on a server answering 200 HTML: %v", err)
	}

	_, err = c.Describe(ctx, "api-error")
	if err == nil || err.Error() != "404 ResourceNotFound: job api-error not found" {
		t.Errorf("the API's own error: %v", err)
	}
}

// TestS3ErrorWhole: S3's XML error for a presigned URL's PUT gives its code and its message
// whole (a KMS refusal's runs past 200 bytes with the XML around it): not the XML cut.
func TestS3ErrorWhole(t *testing.T) {
	msg := "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access."
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>KMS.NotFoundException</Code><Message>%s</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>%s</HostId></Error>", msg, strings.Repeat("x", 76))
	}))
	defer srv.Close()
	p := t.TempDir() + "/f.txt"
	if err := os.WriteFile(p, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &Client{Endpoint: "http://127.0.0.1:1", APIKey: "k"}
	err := c.Upload(context.Background(), api.Presigned{Method: http.MethodPut, URL: srv.URL + "/bucket/key"}, p)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden || apiErr.Code != "KMS.NotFoundException" || apiErr.Message != msg {
		t.Errorf("S3 XML error: %v; want 403 KMS.NotFoundException: %s", err, msg)
	}
}
