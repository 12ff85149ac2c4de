package handlers_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/pipeline"
)

// FuzzDecodeShardMessage decodes arbitrary queue message bodies: a body that is accepted names a
// tenant, a job and a shard, is one JSON object and nothing else (a worker that took the first
// of two would lose the rest without a word), and reads back the same once encoded again; and
// every message the pipeline could send (json.Marshal, as the queues do) decodes to itself.
func FuzzDecodeShardMessage(f *testing.F) {
	for _, m := range []pipeline.ShardMessage{
		{Tenant: "t1", JobId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", Index: 3, Key: "inputs/t1/j/input", Start: 1 << 20, End: 2 << 20, LineOffset: 5120, Lines: 5000, Bytes: 1 << 20},
		{Tenant: "t1", JobId: "j", Index: 0, Files: []string{"inputs/t1/j/files/a.txt", "inputs/t1/j/files/b é.txt"}, FileVersions: []string{"12@1700000000000000000", "3@1"}},
		{Tenant: "t1", JobId: "j", Plan: true},
		{Tenant: "t1", JobId: "j", Finalize: "sweeper-42"},
		{Tenant: "t1", JobId: "j", Index: 7, Key: "inputs/t1/x/bad\x01name", Unreadable: true, Version: "9@9"},
	} {
		b, _ := json.Marshal(m)
		f.Add(string(b), m.Tenant, m.JobId, m.Index, m.Key, m.Start, m.End)
	}
	f.Add(`{"tenant":"t","jobId":"j","shard":0} {"tenant":"t","jobId":"j","shard":1}`, "t", "j", 1, "", int64(0), int64(0))
	f.Add(`{"tenant":"t","jobId":"j","shard":-1}`, "t", "j", -1, "", int64(-1), int64(0))
	f.Add(`null`, "", "", 0, "", int64(0), int64(0))
	f.Add(`{"Tenant":"t","JOBID":"j","shard":1e2}`, "t", "j\xff", 0, "k", int64(0), int64(0))
	f.Add(`{"tenant":"t","jobId":"j","shard":0,"extra":1}`, "t", "j", 0, "", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, body, tenant, jobID string, index int, key string, start, end int64) {
		if m, err := handlers.DecodeShardMessage(body); err == nil {
			if m.Tenant == "" || m.JobId == "" || m.Index < 0 {
				t.Fatalf("accepted %q as %+v", body, m)
			}
			dec := json.NewDecoder(strings.NewReader(body))
			var first json.RawMessage
			if dec.Decode(&first) != nil || dec.More() || dec.InputOffset() != int64(len(strings.TrimRight(body, " \t\r\n"))) {
				t.Fatalf("accepted %q, which is not one JSON value", body)
			}
			b, _ := json.Marshal(m)
			if again, err := handlers.DecodeShardMessage(string(b)); err != nil || !reflect.DeepEqual(again, m) {
				t.Fatalf("%q read as %+v, which reads back as %+v (%v)", body, m, again, err)
			}
		}
		if tenant == "" || jobID == "" || index < 0 || !utf8.ValidString(tenant+jobID+key) {
			return
		}
		m := pipeline.ShardMessage{Tenant: tenant, JobId: jobID, Index: index, Key: key, Start: start, End: end}
		b, _ := json.Marshal(m)
		got, err := handlers.DecodeShardMessage(string(b))
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Fatalf("message %+v sent as %s read back as %+v (%v)", m, b, got, err)
		}
	})
}
