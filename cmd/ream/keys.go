package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/ream-dev/ream/infra/local"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
)

// keysCmd issues, lists and revokes the access keys of the Comprehend-compatible API. It works
// on the store itself, not through the HTTP API: on AWS with the caller's own credentials on the
// stack's bucket (--bucket, and --kms-key for SSE-KMS), locally on the data directory (--data).
func keysCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("usage: ream keys issue --tenant T | list [--tenant T] | revoke ACCESS_KEY_ID, with --bucket B [--kms-key K] (AWS) or --data DIR (local)")
	}
	sub, rest := args[0], args[1:]
	if !slices.Contains([]string{"issue", "list", "revoke"}, sub) {
		// Before the store is opened (found from outside: `ream keys bogus` said the data
		// directory did not exist).
		return usagef("unknown keys command %q (issue, list or revoke)", sub)
	}
	fset := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	bucket := fset.String("bucket", "", "the stack's bucket (AWS; credentials and region from the environment)")
	kmsKey := fset.String("kms-key", "", "with --bucket: the stack's KMS key for SSE-KMS (default: the bucket's default encryption)")
	data := fset.String("data", "", "the local stack's data directory, which must exist (default, when --bucket is not given: $REAM_DATA, else $REAM_CONFIG's dataDir, else .ream-data, as for ream serve)")
	tenant := fset.String("tenant", "", "the tenant a key acts for")
	pos, err := parse(fset, rest)
	if err != nil {
		return err
	}
	// The arguments are checked before the store is opened, so that a missing or extra one is
	// the usage error it is whatever the store (found reviewing the exit statuses: with no
	// ./.ream-data, `ream keys issue` without --tenant exited 1 saying the directory does not exist).
	switch {
	case *kmsKey != "" && *bucket == "":
		// Without --bucket the keys go to the local store, which encrypts nothing: a
		// forgotten --bucket would issue the key there, silently (found reviewing 4693203).
		return usagef("--kms-key goes with --bucket (AWS): without it the keys are the local store's, which does not encrypt")
	case sub == "issue" && (*tenant == "" || len(pos) > 0):
		return usagef("usage: ream keys issue --tenant T")
	case sub == "list" && len(pos) > 0:
		return usagef("usage: ream keys list [--tenant T] (got %q)", pos)
	case sub == "revoke" && len(pos) != 1:
		return usagef("usage: ream keys revoke ACCESS_KEY_ID")
	}
	keys, err := openKeys(ctx, *bucket, *kmsKey, *data)
	if err != nil {
		return err
	}
	switch sub {
	case "issue":
		k, err := keys.Issue(ctx, *tenant)
		if err != nil {
			return err
		}
		fmt.Printf("AccessKeyId:     %s\nSecretAccessKey: %s\nTenant:          %s\n", k.AccessKeyId, k.SecretAccessKey, k.Tenant)
		fmt.Fprintln(os.Stderr, "The secret is shown once; Ream keeps it only in its store.")
		return nil
	case "list":
		list, err := keys.List(ctx, *tenant)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCESS KEY ID\tTENANT\tCREATED")
		for _, k := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", k.AccessKeyId, k.Tenant, k.Created.Format(time.RFC3339))
		}
		return tw.Flush()
	case "revoke":
		if err := keys.Revoke(ctx, pos[0]); errors.Is(err, job.ErrNotFound) {
			// Named by its id, not by the store's object (found from outside: "object
			// access-keys/<id>.json: not found").
			return fmt.Errorf("access key %s not found: already revoked, or never issued on this store", pos[0])
		} else if err != nil {
			return err
		}
		fmt.Printf("%s revoked (a deployed api function may accept it for up to 5 more minutes)\n", pos[0])
	}
	return nil
}

// openKeys opens the access-key store on the stack's bucket or on a local data directory.
func openKeys(ctx context.Context, bucket, kmsKey, data string) (*accesskeys.Store, error) {
	if bucket != "" {
		if data != "" {
			return nil, usagef("give --bucket (AWS) or --data (local), not both")
		}
		c, err := reamaws.NewClients(ctx, reamaws.Endpoints{S3: os.Getenv(reamaws.EnvS3Endpoint), S3PathStyle: os.Getenv(reamaws.EnvS3Endpoint) != ""})
		if err != nil {
			return nil, err
		}
		var opts []reamaws.ObjectsOption
		if kmsKey != "" {
			opts = append(opts, reamaws.WithKMSKey(kmsKey))
		}
		return accesskeys.New(reamaws.NewObjects(c.S3, c.Presign, bucket, opts...)), nil
	}
	if data == "" {
		// The directory `ream serve` uses without --data: $REAM_DATA, else the dataDir of the
		// config file $REAM_CONFIG names, else the default (found from outside: with REAM_DATA
		// set, serve used it and keys the default, so that keys were issued into another store
		// or refused; found reviewing that fix: the same with the config's dataDir).
		data = os.Getenv(envData)
	}
	if data == "" {
		cfg, err := local.LoadConfig(os.Getenv(envConfig))
		if err != nil {
			return nil, err
		}
		data = cmp.Or(cfg.DataDir, local.DefaultDataDir)
	}
	// The store would create a directory that is not there: a mistyped --data would get keys
	// that no `ream serve` reads.
	if st, err := os.Stat(data); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("data directory %s does not exist or is not a directory: give --data the directory `ream serve` uses (it creates it)", data)
	}
	// A `ream serve` may be running on it: its writes in flight are left alone.
	objs, err := sl.NewObjects(data, "", nil, sl.BesideServer())
	if err != nil {
		return nil, err
	}
	return accesskeys.New(objs), nil
}
