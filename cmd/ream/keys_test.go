package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestKeysCommands: issue, list and revoke on a local data directory.
func TestKeysCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := keysCmd(ctx, []string{"issue", "--tenant", "t1", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	keys, err := openKeys(ctx, "", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	list, err := keys.List(ctx, "t1")
	if err != nil || len(list) != 1 || list[0].SecretAccessKey != "" || len(list[0].AccessKeyId) != 20 {
		t.Fatalf("after issue: %+v %v", list, err)
	}
	full, err := keys.Get(ctx, list[0].AccessKeyId)
	if err != nil || len(full.SecretAccessKey) != 40 || full.Tenant != "t1" {
		t.Fatalf("Get: %+v %v", full, err)
	}
	if err := keysCmd(ctx, []string{"revoke", "--data", dir, list[0].AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Get(ctx, list[0].AccessKeyId); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("revoked key: %v", err)
	}
	for _, bad := range [][]string{{"issue", "--data", dir}, {"issue", "--tenant", "bad tenant!", "--data", dir}, {"revoke", "--data", dir, "AKIAAAAAAAAAAAAAAAAA"}, {"nope"}} {
		if err := keysCmd(ctx, bad); err == nil {
			t.Errorf("keys %v succeeded", bad)
		}
	}
}

// TestKeysDataMustExist: --data names an existing directory (the one `ream serve` uses); a
// mistyped one was created, and the keys issued into it were read by no server.
func TestKeysDataMustExist(t *testing.T) {
	ctx := context.Background()
	typo := filepath.Join(t.TempDir(), "ream-dta")
	for _, args := range [][]string{{"issue", "--tenant", "t1", "--data", typo}, {"list", "--data", typo}, {"revoke", "--data", typo, "AKIAAAAAAAAAAAAAAAAA"}} {
		if err := keysCmd(ctx, args); err == nil || !strings.Contains(err.Error(), typo) || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("keys %v: %v; want an error naming %s", args, err, typo)
		}
	}
	if _, err := os.Stat(typo); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s was created (%v)", typo, err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := keysCmd(ctx, []string{"list", "--data", file}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("keys list on a file: %v", err)
	}
}

// TestKeysUnknownCommandFirst: an unknown keys command is named as such before any store is
// opened (found from outside: without a data directory it said the directory did not exist).
func TestKeysUnknownCommandFirst(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "none")
	for _, args := range [][]string{{"bogus"}, {"bogus", "--data", typo}, {"lst", "--bucket", "b"}} {
		if err := keysCmd(context.Background(), args); err == nil || !strings.Contains(err.Error(), `unknown keys command "`+args[0]+`"`) {
			t.Errorf("keys %v: %v; want unknown keys command", args, err)
		}
	}
}

// TestKeysRevokeUnknown: revoking a key already revoked, or one never issued, is an error
// naming the key id and saying it is not found, not the store's object (found from outside:
// "object access-keys/<id>.json: not found").
func TestKeysRevokeUnknown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys, err := openKeys(ctx, "", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.Issue(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if err := keysCmd(ctx, []string{"revoke", "--data", dir, k.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{k.AccessKeyId, "AKIAAAAAAAAAAAAAAAAA"} {
		err := keysCmd(ctx, []string{"revoke", "--data", dir, id})
		if err == nil || !strings.Contains(err.Error(), "access key "+id+" not found") || !strings.Contains(err.Error(), "already revoked") || strings.Contains(err.Error(), "access-keys/") {
			t.Errorf("revoke %s again: %v; want an error saying access key %s is not found (already revoked), naming no object", id, err, id)
		}
	}
}

// TestKeysDataFromEnv: without --data (and --bucket), keys use $REAM_DATA, the data directory
// `ream serve` takes from it, before the default .ream-data; --data still wins (found from
// outside: keys used ./.ream-data while the server used $REAM_DATA).
func TestKeysDataFromEnv(t *testing.T) {
	ctx := context.Background()
	env, flagDir, cwd := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.Mkdir(filepath.Join(cwd, ".ream-data"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	t.Setenv("REAM_DATA", env)
	count := func(dir string) int {
		keys, err := openKeys(ctx, "", "", dir)
		if err != nil {
			t.Fatal(err)
		}
		list, err := keys.List(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if err := keysCmd(ctx, []string{"issue", "--tenant", "t1"}); err != nil {
		t.Fatal(err)
	}
	if err := keysCmd(ctx, []string{"issue", "--tenant", "t1", "--data", flagDir}); err != nil {
		t.Fatal(err)
	}
	if e, f, d := count(env), count(flagDir), count(filepath.Join(cwd, ".ream-data")); e != 1 || f != 1 || d != 0 {
		t.Errorf("keys in $REAM_DATA %d, in --data %d, in ./.ream-data %d; want 1, 1, 0", e, f, d)
	}
}

// TestKeysDataFromConfigEnv: without --data and $REAM_DATA, keys use the dataDir of the config
// file $REAM_CONFIG names, the data directory `ream serve` then uses (found reviewing ccbe6af:
// keys took $REAM_DATA as serve does but not $REAM_CONFIG's dataDir, so with the directory set
// there keys were issued into ./.ream-data, which no server read, or refused).
func TestKeysDataFromConfigEnv(t *testing.T) {
	ctx := context.Background()
	conf, cwd := t.TempDir(), t.TempDir()
	if err := os.Mkdir(filepath.Join(cwd, ".ream-data"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	cfgPath := filepath.Join(t.TempDir(), "ream.json")
	b, _ := json.Marshal(map[string]string{"dataDir": conf})
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REAM_DATA", "")
	t.Setenv("REAM_CONFIG", cfgPath)
	if err := keysCmd(ctx, []string{"issue", "--tenant", "t1"}); err != nil {
		t.Fatal(err)
	}
	count := func(dir string) int {
		keys, err := openKeys(ctx, "", "", dir)
		if err != nil {
			t.Fatal(err)
		}
		list, err := keys.List(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if c, d := count(conf), count(filepath.Join(cwd, ".ream-data")); c != 1 || d != 0 {
		t.Errorf("keys in the config's dataDir %d, in ./.ream-data %d; want 1, 0", c, d)
	}
	// A config file that cannot be read is said, not passed over for the default.
	t.Setenv("REAM_CONFIG", filepath.Join(cwd, "missing.json"))
	if err := keysCmd(ctx, []string{"list"}); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("keys list with $REAM_CONFIG missing: %v; want an error naming the file", err)
	}
}

// TestKeysUsageBeforeStore: a keys command missing its argument (issue without --tenant,
// revoke without an id, list with an extra one) is a usage error (exit status 2) whether or not
// the store can be opened, since nothing is done (found reviewing the exit statuses: with no
// ./.ream-data, `ream keys issue` exited 1 saying the directory does not exist, not that
// --tenant was missing).
func TestKeysUsageBeforeStore(t *testing.T) {
	t.Chdir(t.TempDir()) // no .ream-data here
	t.Setenv("REAM_DATA", "")
	t.Setenv("REAM_CONFIG", "")
	for _, args := range [][]string{{"issue"}, {"issue", "x", "--tenant", "t"}, {"revoke"}, {"revoke", "a", "b"}, {"list", "extra"}} {
		err := keysCmd(context.Background(), args)
		if got := exitStatus(err); got != exitUsage || !strings.Contains(fmt.Sprint(err), "usage: ream keys "+args[0]) {
			t.Errorf("keys %q: %v, exit status %d; want %d, the command's usage", args, err, got, exitUsage)
		}
	}
}

// TestKeysKMSKeyNeedsBucket: --kms-key names the stack's key for the bucket; without --bucket the
// keys would go to the local store, which encrypts nothing, so a forgotten --bucket issued the key
// there silently (with a data directory at hand). It is a usage error, before the store is opened.
func TestKeysKMSKeyNeedsBucket(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // the default .ream-data would be here
	t.Setenv("REAM_DATA", "")
	t.Setenv("REAM_CONFIG", "")
	for _, args := range [][]string{
		{"issue", "--tenant", "t", "--kms-key", "arn:aws:kms:us-east-1:111122223333:key/k", "--data", dir},
		{"list", "--kms-key", "k", "--data", dir},
		{"revoke", "AKIA0000000000000000", "--kms-key", "k"},
	} {
		err := keysCmd(context.Background(), args)
		if got := exitStatus(err); got != exitUsage || !strings.Contains(fmt.Sprint(err), "--bucket") {
			t.Errorf("keys %q: %v, exit status %d; want %d naming --bucket", args, err, got, exitUsage)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("the data directory was written: %v %v", entries, err)
	}
}

// TestKeysLeaveServerWritesAlone: `ream keys` opens the data directory of a `ream serve` that may
// be running, whose uploads and pipeline writes in flight are temporary files under objects/
// until renamed into place. Opening the store removed every such file as a crash's leftover, so
// a key issued while a server worked failed its uploads in flight (the rename found nothing)
// and made its shards' writes fail and be delivered again.
func TestKeysLeaveServerWritesAlone(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REAM_DATA", "")
	t.Setenv("REAM_CONFIG", "")
	inflight := filepath.Join(dir, "objects", "inputs", "local", "job-1", ".ream-tmp-INFLIGHT")
	if err := os.MkdirAll(filepath.Dir(inflight), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inflight, []byte("half an upload"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"issue", "--tenant", "t", "--data", dir}, {"list", "--data", dir}} {
		if err := keysCmd(context.Background(), args); err != nil {
			t.Fatalf("keys %q: %v", args, err)
		}
		if _, err := os.Stat(inflight); err != nil {
			t.Fatalf("keys %q removed a write in flight of the server: %v", args, err)
		}
	}
}
