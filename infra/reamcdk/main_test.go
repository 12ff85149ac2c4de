package reamcdk

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The stack is synthesized once per test binary (jsii starts one Node
// process; aws-cdk-lib takes seconds to load) and every test reads the same
// template. Tests that need no template (props validation) never start it.

type fixture struct {
	stack       *Stack
	template    assertions.Template
	annotations assertions.Annotations
	tmpl        map[string]any // the template as plain JSON, for walking
	err         error
}

var (
	synthOnce sync.Once
	fx        fixture
	tmpRoot   string
)

func TestMain(m *testing.M) {
	// jsii prints a banner on every run while the machine has Node 20 (past
	// its end of life); it says nothing about the template under test.
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	code := m.Run()
	if tmpRoot != "" {
		jsii.Close()
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

// placeholderCode writes a tiny bootstrap per function: test scaffolding
// standing in for `make build`'s binaries, so the tests run on a fresh clone.
func placeholderCode(dir string) error {
	for _, name := range FunctionNames {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			return err
		}
		script := "#!/bin/sh\n# placeholder for " + name + " (tests only)\nexit 1\n"
		if err := os.WriteFile(filepath.Join(dir, name, "bootstrap"), []byte(script), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// cdkContext is the "context" block of the repository's cdk.json: the
// tests synthesize with the same feature flags as `cdk synth`.
func cdkContext() (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		return nil, err
	}
	var cfg struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	if len(cfg.Context) == 0 {
		return nil, fmt.Errorf("cdk.json has no feature flags in its context")
	}
	return cfg.Context, nil
}

// testApp is a CDK app of its own with cdk.json's feature flags, writing to cdk.out-<name> under
// tmpRoot, where synth's placeholder code is (findings stay annotations, as in synth).
func testApp(t *testing.T, name string) awscdk.App {
	t.Helper()
	synth(t) // the placeholder code under tmpRoot
	ctx, err := cdkContext()
	if err != nil {
		t.Fatal(err)
	}
	ctx["@aws-cdk/core:annotationsInValidationReport"] = false
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(tmpRoot, "cdk.out-"+name))})
}

func synth(t *testing.T) *fixture {
	t.Helper()
	synthOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				fx.err = fmt.Errorf("synthesis panicked: %v", r)
			}
		}()
		var err error
		if tmpRoot, err = os.MkdirTemp("", "reamcdk-test-"); err != nil {
			fx.err = err
			return
		}
		code := filepath.Join(tmpRoot, "dist")
		if fx.err = placeholderCode(code); fx.err != nil {
			return
		}
		ctx, err := cdkContext()
		if err != nil {
			fx.err = err
			return
		}
		// With this flag on (as in cdk.json), any error annotation fails the
		// whole synthesis, so one cdk-nag finding would fail every test with
		// one generic message. Off here, the findings stay annotations and
		// TestCdkNagAwsSolutions lists each; `cdk synth` keeps it on and fails.
		ctx["@aws-cdk/core:annotationsInValidationReport"] = false
		app := awscdk.NewApp(&awscdk.AppProps{
			Context: &ctx,
			Outdir:  jsii.String(filepath.Join(tmpRoot, "cdk.out")),
		})
		fx.stack = NewStack(app, "Ream-test", &StackProps{Stage: "test", Pipeline: PipelineProps{CodeDir: code}})
		CheckAwsSolutions(app)
		fx.template = assertions.Template_FromStack(fx.stack.Stack, nil)
		fx.annotations = assertions.Annotations_FromStack(fx.stack.Stack)
		b, err := json.Marshal(fx.template.ToJSON())
		if err != nil {
			fx.err = err
			return
		}
		fx.err = json.Unmarshal(b, &fx.tmpl)
	})
	if fx.err != nil {
		t.Fatalf("synth: %v", fx.err)
	}
	return &fx
}

// check runs a jsii assertion, which reports a mismatch by panicking, and
// turns the panic into a test error so the other tests still run.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

// resources returns the template's resources of one type, by logical id.
func (f *fixture) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range f.tmpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(res map[string]any) map[string]any {
	p, _ := res["Properties"].(map[string]any)
	return p
}

// id is the logical id of an L2 construct's CloudFormation resource.
func (f *fixture) id(c constructs.IConstruct) string {
	return *f.stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// keys returns the sorted keys of a map, for messages.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ref is {"Ref": id}; getAtt is {"Fn::GetAtt": [id, attr]}.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }
func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}
