package reamcdk

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// maxConcurrencies is every SQS event source's ScalingConfig.MaximumConcurrency in f, sorted.
func maxConcurrencies(t *testing.T, f *fixture) []int {
	t.Helper()
	var out []int
	for id, m := range f.resources("AWS::Lambda::EventSourceMapping") {
		sc, _ := props(m)["ScalingConfig"].(obj)
		n, ok := sc["MaximumConcurrency"].(float64)
		if !ok {
			t.Errorf("%s: no ScalingConfig.MaximumConcurrency (an event source without one may take the account's whole concurrency)", id)
			continue
		}
		out = append(out, int(n))
	}
	sort.Ints(out)
	return out
}

// TestNoReservedConcurrency: no function reserves concurrency, so the stack deploys in an account
// whose Lambda quota is below 101 (a new account's may be 10): Lambda keeps 100 of the quota
// unreserved and refuses a ReservedConcurrentExecutions that would leave less. Both the default
// stack and one sized for a quota of 10 are checked.
func TestNoReservedConcurrency(t *testing.T) {
	small := synthWith(t, "smallquota", func(awscdk.App) PipelineProps {
		return PipelineProps{AccountConcurrency: 10, WorkerMaxConcurrency: 4, IngestMaxConcurrency: 2}
	})
	for name, f := range map[string]*fixture{"default": synth(t), "quota 10": small} {
		for id, fn := range f.resources("AWS::Lambda::Function") {
			if v, ok := props(fn)["ReservedConcurrentExecutions"]; ok {
				t.Errorf("%s: %s reserves concurrency %v", name, id, v)
			}
		}
	}
	// Sized for a quota of 10: worker 4, ingest 2, deadletter 2 leave 2 for the api and sweeper.
	if got := maxConcurrencies(t, small); !reflect.DeepEqual(got, []int{2, 2, 4}) {
		t.Errorf("event sources' maxima for a quota of 10: %v, want [2 2 4] (deadletter, ingest, worker)", got)
	}
	if got := maxConcurrencies(t, synth(t)); !reflect.DeepEqual(got, []int{DeadLetterMaxConcurrency, 10, DefaultIngestMaxConcurrency}) {
		t.Errorf("default event sources' maxima: %v", got)
	}
}

// TestAccountConcurrencyChecked: given the account's Lambda quota, the synth refuses event-source
// maxima that leave fewer than OnDemandConcurrency of it for the api function and the sweeper,
// saying what to lower or raise; the defaults (worker 10, ingest 20, deadletter 2) fit a quota of
// 1,000 but not a new account's 10.
func TestAccountConcurrencyChecked(t *testing.T) {
	dir := t.TempDir()
	if err := placeholderCode(dir); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []PipelineProps{
		{AccountConcurrency: 1000},
		{AccountConcurrency: 10, WorkerMaxConcurrency: 4, IngestMaxConcurrency: 2},
		{AccountConcurrency: 34},                                 // 10 + 20 + 2 + 2
		{WorkerMaxConcurrency: 1000, IngestMaxConcurrency: 1000}, // not given: not checked
	} {
		ok.CodeDir = dir
		if _, err := resolve(&ok); err != nil {
			t.Errorf("%+v refused: %v", ok, err)
		}
	}
	for _, bad := range []PipelineProps{
		{AccountConcurrency: 10},
		{AccountConcurrency: 33},
		{AccountConcurrency: 10, WorkerMaxConcurrency: 5, IngestMaxConcurrency: 2},
		{AccountConcurrency: 1000, WorkerMaxConcurrency: 1000},
	} {
		bad.CodeDir = dir
		_, err := resolve(&bad)
		if err == nil {
			t.Errorf("AccountConcurrency %d, worker %d, ingest %d accepted", bad.AccountConcurrency, bad.WorkerMaxConcurrency, bad.IngestMaxConcurrency)
			continue
		}
		for _, want := range []string{"AccountConcurrency", "WorkerMaxConcurrency", "IngestMaxConcurrency", "Concurrent executions"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("AccountConcurrency %d: %q does not name %s", bad.AccountConcurrency, err, want)
			}
		}
	}
	// Below 8 no maxima fit (2 + 2 + 2 + 2): the message says so, not "lower them to at most 1
	// together (each at least 2)", nor a negative figure (found in review).
	for _, quota := range []int{1, 5, 7} {
		p := PipelineProps{CodeDir: dir, AccountConcurrency: quota, WorkerMaxConcurrency: 2, IngestMaxConcurrency: 2}
		_, err := resolve(&p)
		if err == nil {
			t.Errorf("AccountConcurrency %d with worker 2 and ingest 2 accepted", quota)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "to at most") || !strings.Contains(msg, "cannot hold the stack") || !strings.Contains(msg, "Concurrent executions") {
			t.Errorf("AccountConcurrency %d: %q; want it to say no maxima fit and to name the quota to raise", quota, msg)
		}
	}
	p := PipelineProps{CodeDir: dir, AccountConcurrency: 8, WorkerMaxConcurrency: 2, IngestMaxConcurrency: 2}
	if _, err := resolve(&p); err != nil {
		t.Errorf("AccountConcurrency 8 with worker 2 and ingest 2 refused: %v", err)
	}
	for _, bad := range []PipelineProps{{IngestMaxConcurrency: 1}, {IngestMaxConcurrency: 1001}, {AccountConcurrency: -1}} {
		bad.CodeDir = dir
		if _, err := resolve(&bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
