package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ream-dev/ream/infra/local"
)

// TestServeSecondSignalStopsAtOnce: once the clean stop has begun (and waits for an upload
// still streaming, up to its 10 s grace), a second Ctrl-C or SIGTERM ends serve at once, with
// an error saying so (found from outside: the second Ctrl-C was ignored).
func TestServeSecondSignalStopsAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	fake := make(chan os.Signal, 1)
	defer func(f func() (<-chan os.Signal, func())) { stopSignals = f }(stopSignals)
	stopSignals = func() (<-chan os.Signal, func()) { return fake, func() {} }
	t.Setenv("REAM_CONFIG", "")
	t.Setenv("REAM_LOG_LEVEL", "error")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, []string{"--data", t.TempDir(), "--addr", addr}) }()
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/v1/health"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/jobs", strings.NewReader(`{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`))
	req.Header.Set("Authorization", "Bearer "+local.DefaultKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Upload struct {
			Url     string
			Headers map[string]string
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || created.Upload.Url == "" {
		t.Fatalf("create: %v %+v", err, created)
	}
	// An upload that has sent its headers and a little of its body, and then waits.
	u, _ := url.Parse(created.Upload.Url)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000000\r\n", u.RequestURI(), addr)
	for k, v := range created.Upload.Headers {
		fmt.Fprintf(&head, "%s: %s\r\n", k, v)
	}
	head.WriteString("\r\nI love it.\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)

	cancel() // the first signal: the clean stop begins, and waits for the upload
	select {
	case err := <-done:
		t.Fatalf("serve returned before the upload's grace ended: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	start := time.Now()
	fake <- os.Interrupt // the second
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "second signal") {
			t.Fatalf("serve after a second signal: %v; want an error saying it stopped at once", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("serve still stopping %v after a second signal", time.Since(start))
	}
}

// TestServeHangUpStopsCleanly: a hang-up (the terminal closed, an SSH session lost) stops serve
// as Ctrl-C does, cleanly (serve returns nil); it killed the process outright, so the running
// shards came back only after visibilityTimeout, counted towards maxReceiveCount. Before the
// fix the SIGHUP this test sends itself ends the test binary.
func TestServeHangUpStopsCleanly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("REAM_CONFIG", "")
	t.Setenv("REAM_LOG_LEVEL", "error")
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), []string{"--data", t.TempDir(), "--addr", addr}) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/v1/health"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after a hang-up: %v; want a clean stop", err)
		}
	case <-time.After(60 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("serve did not stop after a hang-up")
	}
}
