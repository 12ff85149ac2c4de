package reamcdk

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeDryRun prints what `make -n target vars…` would run at the repository root.
func makeDryRun(t *testing.T, target string, vars ...string) string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	args := append([]string{"-n", "--no-print-directory", "-C", filepath.Join("..", ".."), target}, vars...)
	cmd := exec.Command("make", args...)
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "STAGE", "CODING_CLIENTS", "CODING_CLIENT_TENANTS", "JOB_TOPIC_PREFIX",
			"REMOVAL_POLICY", "JOB_TOPIC_PER_TENANT", "LANGUAGES", "WORKER_MAX_CONCURRENCY", "INGEST_MAX_CONCURRENCY", "ACCOUNT_CONCURRENCY", "WORKER_BATCH_SIZE", "RETENTION_DAYS", "LOG_LEVEL",
			"CORS_ALLOWED_ORIGINS", "PERMISSIONS_BOUNDARY", "ROLE_PATH", "SUBNET_IDS", "SECURITY_GROUP_IDS", "TAGS":
		default:
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// cdkLine is the line of out that runs the CDK CLI's command, and where it is.
func cdkLine(out, command string) (string, int) {
	at := 0
	for _, l := range strings.SplitAfter(out, "\n") {
		if strings.Contains(l, "node_modules/.bin/cdk "+command) {
			return strings.TrimSpace(l), at
		}
		at += len(l)
	}
	return "", -1
}

// TestMakeCDKTargets: every make target that runs the CDK app (which refuses to synthesize
// without the Lambdas' bootstraps) builds them first, on a clean clone too; and the coding
// clients' context reaches the CLI through make variables.
func TestMakeCDKTargets(t *testing.T) {
	for target, command := range map[string]string{
		"synth": "synth", "diff": "diff", "deploy": "deploy", "destroy": "destroy", "cdk-bootstrap": "bootstrap",
	} {
		out := makeDryRun(t, target)
		line, at := cdkLine(out, command)
		if at < 0 {
			t.Errorf("make %s runs no `cdk %s`:\n%s", target, command, out)
			continue
		}
		build := strings.Index(out, "-o dist/$f/bootstrap ./functions/$f")
		if build < 0 || build > at {
			t.Errorf("make %s does not build the Lambdas before `cdk %s`:\n%s", target, command, out)
		}
		if strings.Contains(line, "codingClient") {
			t.Errorf("make %s passes coding clients it was not given: %s", target, line)
		}
	}
	for _, target := range []string{"synth", "diff", "deploy", "destroy"} {
		out := makeDryRun(t, target, "STAGE=prod", "CODING_CLIENTS=statistics-office,census",
			"CODING_CLIENT_TENANTS=statistics-office=123456789012-3f2a,census=c1", "JOB_TOPIC_PREFIX=ream-prod-",
			"JOB_TOPIC_PER_TENANT=true", "LANGUAGES=en,fr,de", "WORKER_MAX_CONCURRENCY=1000", "INGEST_MAX_CONCURRENCY=2", "ACCOUNT_CONCURRENCY=10", "WORKER_BATCH_SIZE=1", "RETENTION_DAYS=7", "LOG_LEVEL=info",
			"CORS_ALLOWED_ORIGINS=https://app.example.com,http://localhost:5173",
			"PERMISSIONS_BOUNDARY=arn:aws:iam::111122223333:policy/Boundary", "ROLE_PATH=/app/ream/",
			"SUBNET_IDS=subnet-0a1b2c3d,subnet-0e1f2a3b", "SECURITY_GROUP_IDS=sg-0c1d2e3f", "TAGS=CostCenter=1234,Owner=x")
		line, _ := cdkLine(out, target)
		for _, want := range []string{"-c stage=prod", "-c 'codingClients=statistics-office,census'",
			"-c 'codingClientTenants=statistics-office=123456789012-3f2a,census=c1'", "-c jobTopicPrefix=ream-prod-",
			"-c jobTopicPerTenant=true", "-c 'languages=en,fr,de'", "-c workerMaxConcurrency=1000", "-c ingestMaxConcurrency=2", "-c accountConcurrency=10", "-c workerBatchSize=1", "-c retentionDays=7", "-c logLevel=info",
			"-c 'corsAllowedOrigins=https://app.example.com,http://localhost:5173'",
			"-c 'permissionsBoundary=arn:aws:iam::111122223333:policy/Boundary'", "-c 'rolePath=/app/ream/'",
			"-c 'subnetIds=subnet-0a1b2c3d,subnet-0e1f2a3b'", "-c 'securityGroupIds=sg-0c1d2e3f'", "-c 'tags=CostCenter=1234,Owner=x'"} {
			if !strings.Contains(line, want) {
				t.Errorf("make %s with STAGE, CODING_CLIENTS and CODING_CLIENT_TENANTS: %q lacks %s", target, line, want)
			}
		}
	}
}

// TestMakeBuildsReproducible: make build and make ream build with the flags that make their bytes
// a function of the sources and the Go version alone: no directory (-trimpath), no commit, commit
// time or "modified" flag (-buildvcs=false: else every commit changed every bootstrap, and so
// every function's CDK asset hash), no C toolchain or C library (CGO_ENABLED=0: a cgo ream
// needed the building machine's glibc to run).
func TestMakeBuildsReproducible(t *testing.T) {
	out := makeDryRun(t, "build", "ream")
	var builds []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " build ") && strings.Contains(l, " -o ") {
			builds = append(builds, strings.TrimSpace(l))
		}
	}
	if len(builds) != 2 || !strings.Contains(builds[0], "./functions/$f") || !strings.Contains(builds[1], "./cmd/ream") {
		t.Fatalf("make build ream: want the bootstraps' build then ream's, got:\n%s", out)
	}
	for _, l := range builds {
		for _, want := range []string{"CGO_ENABLED=0 ", " -trimpath", " -buildvcs=false"} {
			if !strings.Contains(l, want) {
				t.Errorf("%q lacks %s", l, strings.TrimSpace(want))
			}
		}
	}
}

// TestMakeVetOutsideGit: make vet (the first step of make test) checks the formatting of the Go
// files in a tree that is not a git checkout (a source archive; a clone owned by another user,
// which git refuses to read), and never reads standard input. It listed the files with git
// ls-files, which printed nothing there, so gofmt was given no file and read standard input: the
// check hung at a terminal and, with standard input closed, passed without looking at a file.
func TestMakeVetOutsideGit(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"Makefile":        string(makefile),
		"go.mod":          "module example.com/outside\n\ngo 1.26\n",
		"pkg/ok.go":       "package pkg\n\n// F is formatted.\nfunc F() int { return 1 }\n",
		"pkg/unformed.go": "package pkg\n\nfunc  G( ) int { return 2 }\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func() (string, error) {
		cmd := exec.Command("make", "--no-print-directory", "vet")
		cmd.Dir = dir
		// No git repository above dir either, whatever TMPDIR is.
		cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir), "MAKEFLAGS=", "MAKELEVEL=")
		out, err := cmd.CombinedOutput() // standard input: the null device
		return string(out), err
	}
	out, err := run()
	if err == nil || !strings.Contains(out, "pkg/unformed.go") || !strings.Contains(out, "gofmt needed") {
		t.Fatalf("make vet outside a git checkout, with an unformatted file: err %v, want a failure naming pkg/unformed.go:\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "pkg", "unformed.go"), []byte("package pkg\n\nfunc G() int { return 2 }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(); err != nil {
		t.Fatalf("make vet outside a git checkout, every file formatted: %v\n%s", err, out)
	}
}
