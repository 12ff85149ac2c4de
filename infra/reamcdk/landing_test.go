package reamcdk

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

const (
	testBoundary = "arn:aws:iam::111122223333:policy/landing-zone/DeveloperBoundary"
	testRolePath = "/app/ream/"
)

var (
	testSubnets = []string{"subnet-0a1b2c3d4e5f60718", "subnet-0123456789abcdef0"}
	testSGs     = []string{"sg-0a1b2c3d4e5f60718"}
	testTags    = map[string]string{"CostCenter": "1234", "Owner": "team-analytics"}
)

// synthLandingZone synthesizes a stack with every landing-zone setting given, cdk-nag applied.
func synthLandingZone(t *testing.T) *fixture {
	t.Helper()
	app := testApp(t, "landing")
	st := NewStack(app, "Ream-landing", &StackProps{Stage: "landing", Tags: testTags, Pipeline: PipelineProps{
		CodeDir: filepath.Join(tmpRoot, "dist"), PermissionsBoundary: testBoundary, RolePath: testRolePath,
		SubnetIds: testSubnets, SecurityGroupIds: testSGs,
	}})
	CheckAwsSolutions(app)
	f := &fixture{stack: st, tmpl: jsonOf(t, st), annotations: assertions.Annotations_FromStack(st.Stack)}
	return f
}

// TestLandingZone: with PermissionsBoundary and RolePath every AWS::IAM::Role carries the
// boundary and the path; with SubnetIds and SecurityGroupIds every function has that VpcConfig
// and its role exactly the network-interface actions Lambda needs; with Tags every resource the
// stack tags (those carrying ream:app) carries them too; cdk-nag finds nothing unsuppressed. The
// default stack has none of it.
func TestLandingZone(t *testing.T) {
	f := synthLandingZone(t)
	roles := f.resources("AWS::IAM::Role")
	if len(roles) < len(FunctionNames) {
		t.Fatalf("%d roles, want at least %d", len(roles), len(FunctionNames))
	}
	for id, r := range roles {
		if got := props(r)["PermissionsBoundary"]; got != testBoundary {
			t.Errorf("role %s: PermissionsBoundary %v, want %s", id, got, testBoundary)
		}
		if got := props(r)["Path"]; got != testRolePath {
			t.Errorf("role %s: Path %v, want %s", id, got, testRolePath)
		}
	}
	fns := f.resources("AWS::Lambda::Function")
	if len(fns) != len(FunctionNames) {
		t.Fatalf("%d functions, want %d", len(fns), len(FunctionNames))
	}
	wantVPC := obj{"SubnetIds": strsAny(testSubnets), "SecurityGroupIds": strsAny(testSGs)}
	for id, fn := range fns {
		if got := props(fn)["VpcConfig"]; !reflect.DeepEqual(got, wantVPC) {
			t.Errorf("function %s: VpcConfig %v, want %v", id, got, wantVPC)
		}
	}
	// CloudFormation creates each function after its role's policy (Lambda checks at
	// CreateFunction that the role may create network interfaces).
	for id, fn := range fns {
		deps, ok := fn["DependsOn"].([]any)
		policy := false
		for _, d := range deps {
			policy = policy || strings.Contains(fmt.Sprint(d), "RoleDefaultPolicy")
		}
		if !ok || !policy {
			t.Errorf("function %s does not depend on its role's policy: DependsOn %v", id, deps)
		}
	}
	// Each function role may manage network interfaces, with exactly those actions.
	eni := 0
	for where, stmts := range f.statements() {
		for _, s := range stmts {
			if s["Resource"] != "*" {
				continue
			}
			eni++
			if got, want := sorted(strs(s["Action"])), sorted(append([]string{}, VPCNetworkInterfaceActions...)); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: a statement on \"*\" allows %s; only the network-interface actions may", where, got)
			}
		}
	}
	if eni != len(FunctionNames) {
		t.Errorf("%d network-interface statements, want one per function (%d)", eni, len(FunctionNames))
	}
	// Tags: every resource the stack tags carries the given tags as well.
	tagged := 0
	for id, r := range f.tmpl["Resources"].(obj) {
		tags := tagsOf(props(r.(obj)))
		if tags == nil || tags["ream:app"] != "ream" {
			continue
		}
		tagged++
		for k, v := range testTags {
			if tags[k] != v {
				t.Errorf("%s (%s): tag %s=%q, want %q", id, r.(obj)["Type"], k, tags[k], v)
			}
		}
	}
	stackTags := *f.stack.Stack.Tags().TagValues()
	for k, v := range testTags {
		if got := stackTags[k]; got == nil || *got != v {
			t.Errorf("the stack's own tag %s: %v, want %q", k, got, v)
		}
	}
	if tagged < 20 {
		t.Errorf("only %d resources carry ream:app: the test would not see missing tags", tagged)
	}
	var errs []string
	check(t, "annotations", func() {
		for _, m := range *f.annotations.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			errs = append(errs, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
		}
	})
	for _, e := range errs {
		t.Errorf("unsuppressed cdk-nag error %s", e)
	}

	// The default stack: no boundary, path, VPC or statement on "*".
	base := synth(t)
	for id, r := range base.resources("AWS::IAM::Role") {
		for _, k := range []string{"PermissionsBoundary", "Path"} {
			if v, ok := props(r)[k]; ok {
				t.Errorf("default role %s has %s %v", id, k, v)
			}
		}
	}
	for id, fn := range base.resources("AWS::Lambda::Function") {
		if v, ok := props(fn)["VpcConfig"]; ok {
			t.Errorf("default function %s has VpcConfig %v", id, v)
		}
	}
}

// tagsOf reads a resource's tags, as a list of Key/Value (most types) or a map (API Gateway v2,
// Cognito's UserPoolTags); nil when it has none.
func tagsOf(p obj) map[string]string {
	for _, field := range []string{"Tags", "UserPoolTags"} {
		switch ts := p[field].(type) {
		case []any:
			out := map[string]string{}
			for _, t := range ts {
				kv, _ := t.(obj)
				k, _ := kv["Key"].(string)
				v, _ := kv["Value"].(string)
				out[k] = v
			}
			return out
		case obj:
			out := map[string]string{}
			for k, v := range ts {
				out[k], _ = v.(string)
			}
			return out
		}
	}
	return nil
}

func strsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// TestLandingZoneChecked: settings AWS would refuse at deploy fail the synth, saying why.
func TestLandingZoneChecked(t *testing.T) {
	dir := t.TempDir()
	if err := placeholderCode(dir); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []PipelineProps{
		{PermissionsBoundary: testBoundary, RolePath: testRolePath, SubnetIds: testSubnets, SecurityGroupIds: testSGs},
		{PermissionsBoundary: "DeveloperBoundary", RolePath: "/"},
		{PermissionsBoundary: "arn:aws-us-gov:iam::111122223333:policy/Boundary"},
	} {
		ok.CodeDir = dir
		if _, err := resolve(&ok); err != nil {
			t.Errorf("%+v refused: %v", ok, err)
		}
	}
	bad := map[string]PipelineProps{
		"boundary not a policy":  {PermissionsBoundary: "arn:aws:iam::111122223333:role/Boundary"},
		"boundary with a space":  {PermissionsBoundary: "Developer Boundary"},
		"path without slash":     {RolePath: "app/ream"},
		"path not ending in /":   {RolePath: "/app/ream"},
		"path with a space":      {RolePath: "/app ream/"},
		"subnets without groups": {SubnetIds: testSubnets},
		"groups without subnets": {SecurityGroupIds: testSGs},
		"not a subnet id":        {SubnetIds: []string{"vpc-0a1b2c3d"}, SecurityGroupIds: testSGs},
		"not a group id":         {SubnetIds: testSubnets, SecurityGroupIds: []string{"default"}},
		"six groups":             {SubnetIds: testSubnets, SecurityGroupIds: []string{testSGs[0], testSGs[0], testSGs[0], testSGs[0], testSGs[0], testSGs[0]}},
	}
	names := keys(bad)
	sort.Strings(names)
	for _, name := range names {
		p := bad[name]
		p.CodeDir = dir
		if _, err := resolve(&p); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "reamcdk: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, tags := range []map[string]string{{"aws:cost": "x"}, {"": "x"}, {strings.Repeat("k", 129): "x"}, {"k": strings.Repeat("v", 257)}} {
		if err := checkTags(tags); err == nil {
			t.Errorf("tags %v accepted", tags)
		}
	}
	if err := checkTags(testTags); err != nil {
		t.Errorf("tags %v refused: %v", testTags, err)
	}
	// The limits count characters, as AWS does, not UTF-8 bytes (found in review: 128 é, 256
	// bytes, was refused as a key, 200 é as a value).
	for _, tags := range []map[string]string{{strings.Repeat("é", 128): "x"}, {"Team": strings.Repeat("é", 200)}, {"Équipe": "données"}} {
		if err := checkTags(tags); err != nil {
			t.Errorf("tags of %d-character key and %d-character value refused: %v", len([]rune(keys(tags)[0])), len([]rune(tags[keys(tags)[0]])), err)
		}
	}
	if err := checkTags(map[string]string{"Team": strings.Repeat("é", 257)}); err == nil {
		t.Error("a 257-character value accepted")
	}
	// Characters AWS refuses in tags, and the stack's own keys, fail the synth (found in review:
	// they passed it, the first failing the deploy, the second replacing the stage's tag).
	for _, tags := range []map[string]string{{"CostCenter#1": "x"}, {"Owner": "a;b"}, {"Owner": "x\ty"}, {"ream:stage": "prod"}, {"ream:app": "other"}} {
		if err := checkTags(tags); err == nil {
			t.Errorf("tags %q accepted", tags)
		}
	}
	for _, tags := range []map[string]string{{"Cost Center": "a_b.c:d/e=f+g-h@i"}, {"Ream:Stage": "x"}, {"ream:team": "x"}} {
		if err := checkTags(tags); err != nil {
			t.Errorf("tags %q refused: %v", tags, err)
		}
	}
}
