package reamcdk

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"
)

// synthWith synthesizes a stack Ream-<name> of its own with the props props returns (given the
// app, for constructs they name; CodeDir is the shared fixture's placeholder code).
func synthWith(t *testing.T, name string, props func(awscdk.App) PipelineProps) *fixture {
	t.Helper()
	app := testApp(t, name)
	p := props(app)
	p.CodeDir = filepath.Join(tmpRoot, "dist")
	st := NewStack(app, "Ream-"+name, &StackProps{Stage: name, Pipeline: p})
	var f fixture
	b, err := json.Marshal(assertions.Template_FromStack(st.Stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &f.tmpl); err != nil {
		t.Fatal(err)
	}
	return &f
}

// outputKeyStatements returns the identity-policy statements of f whose Resource is arn.
func outputKeyStatements(f *fixture, arn string) []obj {
	var out []obj
	for _, stmts := range f.statements() {
		for _, s := range stmts {
			if s["Resource"] == arn || reflect.DeepEqual(s["Resource"], []any{arn}) {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestOutputKmsKeyGrants: with OutputKmsKey, every function role may use that existing key
// through S3 (exactly kms:Decrypt and kms:GenerateDataKey), so jobs naming it as
// OutputDataConfig.KmsKeyId get their outputs written and presigned under it; without it, no
// statement names it.
func TestOutputKmsKeyGrants(t *testing.T) {
	const arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	base := synth(t)
	if got := outputKeyStatements(base, arn); len(got) != 0 {
		t.Fatalf("without OutputKmsKey, %d statements name the key", len(got))
	}

	f := synthWith(t, "output-key", func(app awscdk.App) PipelineProps {
		keys := awscdk.NewStack(app, jsii.String("Keys"), nil)
		awscdk.NewCfnWaitConditionHandle(keys, jsii.String("Placeholder"), &awscdk.CfnWaitConditionHandleProps{}) // a stack needs a resource
		return PipelineProps{OutputKmsKey: awskms.Key_FromKeyArn(keys, jsii.String("TeamKey"), jsii.String(arn))}
	})
	got := outputKeyStatements(f, arn)
	if len(got) != len(FunctionNames) {
		t.Fatalf("%d statements name the output key, want one per function (%d)", len(got), len(FunctionNames))
	}
	for _, s := range got {
		if s["Effect"] != "Allow" || !reflect.DeepEqual(s["Action"], []any{"kms:Decrypt", "kms:GenerateDataKey"}) {
			t.Errorf("statement %v; want Allow kms:Decrypt, kms:GenerateDataKey", s)
		}
		cond, _ := s["Condition"].(obj)
		eq, _ := cond["StringEquals"].(obj)
		if _, ok := eq["kms:ViaService"]; !ok {
			t.Errorf("statement %v is not limited to use through S3 (kms:ViaService)", s)
		}
	}
}

// TestLanguagesReachTheFunctions: PipelineProps.Languages (make deploy LANGUAGES=…) is every
// function's REAM_LANGUAGES (found by an outside review: the README named REAM_LANGUAGES "on
// AWS", but nothing set it); without it, no function has the variable (TestFunctionEnvironment).
func TestLanguagesReachTheFunctions(t *testing.T) {
	f := synthWith(t, "languages", func(awscdk.App) PipelineProps {
		return PipelineProps{Languages: []string{"en", "fr", "de"}, JobTopicPerTenant: true}
	})
	n := 0
	for name, res := range f.resources("AWS::Lambda::Function") {
		env, _ := props(res)["Environment"].(obj)["Variables"].(obj)
		if env["REAM_BUCKET"] == nil {
			continue // not one of Ream's functions
		}
		n++
		if env["REAM_LANGUAGES"] != "en,fr,de" || env["REAM_JOB_TOPIC_PER_TENANT"] != "true" {
			t.Errorf("%s: REAM_LANGUAGES %v, REAM_JOB_TOPIC_PER_TENANT %v; want en,fr,de and true", name, env["REAM_LANGUAGES"], env["REAM_JOB_TOPIC_PER_TENANT"])
		}
	}
	if n != len(FunctionNames) {
		t.Errorf("%d functions, want %d", n, len(FunctionNames))
	}
}
