package reamcdk

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// synthStages synthesizes the app's stack (Ream-<stage>) for each stage in one app, all in one
// account and region, as `make deploy STAGE=…` deploys them side by side; the templates by stage.
func synthStages(t *testing.T, env *awscdk.Environment, stages ...string) map[string]map[string]any {
	t.Helper()
	app := testApp(t, "stages-"+strings.Join(stages, "-"))
	built := map[string]*Stack{}
	for _, stage := range stages { // every stack first: reading a template synthesizes the app
		built[stage] = NewStack(app, "Ream-"+stage, &StackProps{StackProps: awscdk.StackProps{Env: env}, Stage: stage,
			Pipeline: PipelineProps{CodeDir: filepath.Join(tmpRoot, "dist")}})
	}
	out := map[string]map[string]any{}
	for stage, st := range built {
		out[stage] = jsonOf(t, st)
	}
	return out
}

// jobTopicGrants are the topic-name patterns (the part after the account) the template's roles
// may sns:Publish to, rendered for one account and region, besides the stack's own topics (Refs).
func jobTopicGrants(t *testing.T, tmpl map[string]any) map[string]bool {
	t.Helper()
	d := deployment{"aws", "eu-west-2", "amazonaws.com"}
	f := fixture{tmpl: tmpl}
	out := map[string]bool{}
	for where, stmts := range f.statements() {
		for _, s := range stmts {
			if s["Action"] != "sns:Publish" {
				continue
			}
			resources, ok := s["Resource"].([]any)
			if !ok {
				resources = []any{s["Resource"]}
			}
			for _, r := range resources {
				if m, ok := r.(obj); ok && m["Ref"] != nil {
					continue // one of the stack's topics
				}
				arn, ok := d.render(r)
				if !ok {
					t.Errorf("%s: sns:Publish on %v", where, r)
					continue
				}
				out[arn[strings.LastIndex(arn, ":")+1:]] = true
			}
		}
	}
	return out
}

// TestStagesSideBySide synthesizes two stages of one account and region (Ream-staging,
// Ream-prod) and a third whose name starts with another's (Ream-prod-eu): no stage's functions
// may publish to a topic another stage's may. They all defaulted to the job topics ream-*, so
// a tenant of staging could name a prod job's topic (ream-prod-…) as its NotificationChannel
// and have staging's functions publish into it (found by the review of several stages in one
// account). Each stage's default is now ream-<stage>_: '_' is not in stage names, so no stage's
// prefix starts another's. The functions are told the same prefix the grant covers.
func TestStagesSideBySide(t *testing.T) {
	stages := []string{"staging", "prod", "prod-eu"}
	tmpls := synthStages(t, &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-2")}, stages...)
	patterns := map[string]string{}
	for _, stage := range stages {
		grants := jobTopicGrants(t, tmpls[stage])
		if len(grants) != 1 {
			t.Fatalf("%s: sns:Publish on job topics %v, want one pattern", stage, keys(grants))
		}
		for g := range grants {
			patterns[stage] = strings.TrimSuffix(g, "*")
		}
		if want := StageJobTopicPrefix(stage); patterns[stage] != want {
			t.Errorf("%s: job topics %q*, want %q*", stage, patterns[stage], want)
		}
		for id, res := range (&fixture{tmpl: tmpls[stage]}).resources("AWS::Lambda::Function") {
			vars, _ := props(res)["Environment"].(obj)["Variables"].(obj)
			if v := vars["REAM_JOB_TOPIC_PREFIX"]; v != patterns[stage] {
				t.Errorf("%s: %s REAM_JOB_TOPIC_PREFIX %v, the grant covers %q*", stage, id, v, patterns[stage])
			}
		}
	}
	for _, a := range stages {
		for _, b := range stages {
			if a != b && strings.HasPrefix(patterns[b], patterns[a]) {
				t.Errorf("%s's functions may publish to %s's job topics: %q* covers %q*", a, b, patterns[a], patterns[b])
			}
		}
	}
	// An explicit prefix (make's JOB_TOPIC_PREFIX) is taken as given.
	ctx, err := cdkContext()
	if err != nil {
		t.Fatal(err)
	}
	ctx["@aws-cdk/core:annotationsInValidationReport"] = false
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(tmpRoot, "cdk.out-stages-explicit"))})
	st := NewStack(app, "Ream-old", &StackProps{Stage: "old", Pipeline: PipelineProps{CodeDir: filepath.Join(tmpRoot, "dist"), JobTopicPrefix: DefaultJobTopicPrefix}})
	if got := fmt.Sprint(keys(jobTopicGrants(t, jsonOf(t, st)))); got != "["+DefaultJobTopicPrefix+"*]" {
		t.Errorf("JobTopicPrefix %q given: job topics %s", DefaultJobTopicPrefix, got)
	}
}

// jsonOf is a stack's template as plain JSON.
func jsonOf(t *testing.T, st *Stack) map[string]any {
	t.Helper()
	b, err := json.Marshal(assertions.Template_FromStack(st.Stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}
