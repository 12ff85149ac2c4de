package reamcdk

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The coding routes' OAuth2: Cognito user pool (machine clients only),
// resource server with the ream/coding scope, domain, client-credentials app
// client, and the HTTP API's JWT authoriser on each coding route.

func (f *fixture) codingIDs(t *testing.T) (pool, server, domain, authorizer string, clients []string) {
	t.Helper()
	c := f.stack.Pipeline.CodingAuth()
	if c == nil {
		t.Fatal("the pipeline has no CodingAuth")
	}
	for _, cl := range c.Clients {
		clients = append(clients, f.id(cl.Client))
	}
	authorizers := f.resources("AWS::ApiGatewayV2::Authorizer")
	if len(authorizers) != 1 {
		t.Fatalf("%d authorizers %v, want the one JWT authoriser", len(authorizers), keys(authorizers))
	}
	for id := range authorizers {
		authorizer = id
	}
	return f.id(c.UserPool), f.id(c.ResourceServer), f.id(c.Domain), authorizer, clients
}

func TestCodingUserPool(t *testing.T) {
	f := synth(t)
	pool, _, _, _, _ := f.codingIDs(t)
	if n := len(f.resources("AWS::Cognito::UserPool")); n != 1 {
		t.Errorf("%d user pools, want 1", n)
	}
	check(t, "user pool: no self sign-up, MFA required (TOTP), strong passwords", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), obj{
			"AdminCreateUserConfig": obj{"AllowAdminCreateUserOnly": true},
			"MfaConfiguration":      "ON",
			"EnabledMfas":           arr{"SOFTWARE_TOKEN_MFA"},
			"Policies": obj{"PasswordPolicy": like(obj{
				"MinimumLength": 14, "RequireLowercase": true, "RequireUppercase": true,
				"RequireNumbers": true, "RequireSymbols": true,
			})},
			"UserPoolTier": "LITE",
		})
	})
	p := props(f.resources("AWS::Cognito::UserPool")[pool])
	if _, sms := p["SmsConfiguration"]; sms {
		t.Errorf("user pool has an SMS configuration (and role): %v", p["SmsConfiguration"])
	}
	// The one accepted cdk-nag finding on the pool, with its reason.
	md, _ := f.resources("AWS::Cognito::UserPool")[pool]["Metadata"].(obj)
	if !strings.Contains(mustJSON(t, md), "AwsSolutions-COG3") {
		t.Errorf("user pool: no documented AwsSolutions-COG3 suppression in %v", md)
	}
}

func TestCodingResourceServerAndDomain(t *testing.T) {
	f := synth(t)
	pool, _, domain, _, _ := f.codingIDs(t)
	check(t, "resource server ream with scope coding", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolResourceServer"), obj{
			"UserPoolId": ref(pool),
			"Identifier": CodingResourceServerID,
			"Scopes":     arr{like(obj{"ScopeName": CodingScopeName})},
		})
	})
	if CodingScope != "ream/coding" {
		t.Errorf("CodingScope %q, want ream/coding", CodingScope)
	}
	d := props(f.resources("AWS::Cognito::UserPoolDomain")[domain])
	if !reflect.DeepEqual(d["UserPoolId"], ref(pool)) {
		t.Errorf("domain of %v, want the pool", d["UserPoolId"])
	}
	if _, custom := d["CustomDomainConfig"]; custom {
		t.Error("domain is a custom domain, want a Cognito prefix domain")
	}
	// "ream-test" (the stack Ream-test, lower case) + "-" + the stack id's first UUID group.
	join, _ := d["Domain"].(obj)["Fn::Join"].([]any)
	if len(join) != 2 {
		t.Fatalf("Domain %v, want a Fn::Join of the stack name and the stack id", d["Domain"])
	}
	parts := join[1].([]any)
	if parts[0] != "ream-test-" || !strings.Contains(mustJSON(t, parts[1:]), `"AWS::StackId"`) {
		t.Errorf("Domain parts %v, want ream-test- and a part of AWS::StackId", parts)
	}
}

func TestCodingAppClient(t *testing.T) {
	f := synth(t)
	pool, server, _, _, clients := f.codingIDs(t)
	all := f.resources("AWS::Cognito::UserPoolClient")
	if len(all) != 1 || len(clients) != 1 {
		t.Fatalf("clients %v (construct %v), want the one default client", keys(all), clients)
	}
	check(t, "client-credentials client with a secret and the coding scope only", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), obj{
			"UserPoolId":                      ref(pool),
			"ClientName":                      DefaultCodingClient,
			"GenerateSecret":                  true,
			"AllowedOAuthFlowsUserPoolClient": true,
			"AllowedOAuthFlows":               arr{"client_credentials"},
			"AllowedOAuthScopes":              arr{obj{"Fn::Join": arr{"", arr{ref(server), "/" + CodingScopeName}}}},
			"ExplicitAuthFlows":               arr{"ALLOW_REFRESH_TOKEN_AUTH"},
			"SupportedIdentityProviders":      arr{"COGNITO"},
		})
	})
	c := props(all[clients[0]])
	for _, k := range []string{"CallbackURLs", "LogoutURLs", "DefaultRedirectURI"} {
		if _, ok := c[k]; ok {
			t.Errorf("client has %s = %v: a client-credentials client has no redirect", k, c[k])
		}
	}
}

func TestCodingAuthorizer(t *testing.T) {
	f := synth(t)
	pool, _, _, authorizer, clients := f.codingIDs(t)
	audience := arr{}
	for _, c := range clients {
		audience = append(audience, ref(c))
	}
	check(t, "JWT authoriser: pool issuer, client ids as audience", func() {
		f.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), obj{
			"ApiId":          ref(f.id(f.stack.Pipeline.API())),
			"AuthorizerType": "JWT",
			"IdentitySource": arr{"$request.header.Authorization"},
			"JwtConfiguration": obj{
				"Issuer": obj{"Fn::Join": arr{"", arr{
					"https://cognito-idp.", ref("AWS::Region"), ".amazonaws.com/", ref(pool),
				}}},
				"Audience": audience,
			},
		})
	})
	// The construct's Issuer() is what the authoriser checks.
	issuer := f.stack.Resolve(f.stack.Pipeline.CodingAuth().Issuer())
	got := props(f.resources("AWS::ApiGatewayV2::Authorizer")[authorizer])["JwtConfiguration"].(obj)["Issuer"]
	if mustJSON(t, issuer) != mustJSON(t, got) {
		t.Errorf("CodingAuth.Issuer() %v, authoriser issuer %v", mustJSON(t, issuer), mustJSON(t, got))
	}
}

func TestCodingRoutesUseTheJWTAuthorizer(t *testing.T) {
	f := synth(t)
	_, _, _, authorizer, _ := f.codingIDs(t)
	byKey := map[string]obj{}
	for _, r := range f.resources("AWS::ApiGatewayV2::Route") {
		byKey[props(r)["RouteKey"].(string)] = props(r)
	}
	if want := len(Routes) + len(CodingRoutes) + 1; len(byKey) != want { // + POST / (Comprehend)
		t.Errorf("%d routes %v, want %d", len(byKey), keys(byKey), want)
	}
	// One integration (the api function) behind every route, jobs and coding alike.
	target := byKey["POST /v1/jobs"]["Target"]
	for _, rt := range CodingRoutes {
		key := string(rt.Method) + " " + rt.Path
		p, ok := byKey[key]
		if !ok {
			t.Errorf("no route %s", key)
			continue
		}
		if p["AuthorizationType"] != "JWT" || !reflect.DeepEqual(p["AuthorizerId"], ref(authorizer)) {
			t.Errorf("%s: %v %v, want JWT with %s", key, p["AuthorizationType"], p["AuthorizerId"], authorizer)
		}
		if !reflect.DeepEqual(p["AuthorizationScopes"], arr{CodingScope}) {
			t.Errorf("%s: AuthorizationScopes %v, want [%s]", key, p["AuthorizationScopes"], CodingScope)
		}
		if !reflect.DeepEqual(p["Target"], target) {
			t.Errorf("%s: Target %v, want the api function's integration %v", key, p["Target"], target)
		}
		check(t, key+" through assertions", func() {
			f.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), obj{
				"RouteKey": key, "AuthorizationType": "JWT", "AuthorizerId": ref(authorizer),
				"AuthorizationScopes": arr{CodingScope},
			})
		})
	}
	for _, rt := range Routes {
		key := string(rt.Method) + " " + rt.Path
		if p := byKey[key]; p == nil || p["AuthorizationType"] != "AWS_IAM" || p["AuthorizerId"] != nil {
			t.Errorf("%s: %v, want AWS_IAM and no authoriser", key, p)
		}
	}
	for key := range byKey {
		if strings.Contains(key, "$default") || strings.Contains(key, "{proxy+}") {
			t.Errorf("catch-all route %s", key)
		}
	}
}

// The API function's role is what Access says, nothing for Cognito or the
// authoriser: the authoriser runs in API Gateway.
func TestCodingLeavesTheAPIRoleAlone(t *testing.T) {
	f := synth(t)
	role := f.id(f.stack.Pipeline.(*pipeline).roles[FnAPI])
	for where, ss := range f.statements() {
		for _, s := range ss {
			js := mustJSON(t, s)
			if strings.Contains(js, "cognito") {
				t.Errorf("%s: statement mentions Cognito: %s", where, js)
			}
		}
	}
	for id, pol := range f.resources("AWS::IAM::Policy") {
		if !strings.Contains(mustJSON(t, props(pol)["Roles"]), `"`+role+`"`) {
			continue
		}
		var actions []string
		for _, s := range props(pol)["PolicyDocument"].(obj)["Statement"].([]any) {
			switch a := s.(obj)["Action"].(type) {
			case string:
				actions = append(actions, a)
			case []any:
				for _, x := range a {
					actions = append(actions, x.(string))
				}
			}
		}
		want := []string{"logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload",
			"s3:DeleteObject", "s3:ListBucket", "kms:Decrypt", "kms:GenerateDataKey"}
		want = append(append(want, tableRW...), "sqs:SendMessage", "sns:Publish")
		if got := unique(actions); !reflect.DeepEqual(got, unique(want)) {
			t.Errorf("api role policy %s: actions %v, want %v", id, got, unique(want))
		}
	}
}

func TestCodingOutputs(t *testing.T) {
	f := synth(t)
	pool, _, domain, _, clients := f.codingIDs(t)
	want := map[string]any{
		OutputCodingTokenURL: obj{"Fn::Join": arr{"", arr{
			"https://", ref(domain), ".", obj{"Fn::If": arr{f.govCloudCondition(t), "auth-fips", "auth"}}, ".", ref("AWS::Region"),
			".amazoncognito.com/oauth2/token",
		}}},
		OutputCodingUserPoolID: ref(pool),
		OutputCodingClientID:   ref(clients[0]),
		OutputCodingScope:      "ream/coding",
	}
	outputs := f.tmpl["Outputs"].(obj)
	for id, v := range want {
		o, ok := outputs[id].(obj)
		if !ok {
			t.Errorf("no output %s", id)
			continue
		}
		if !reflect.DeepEqual(o["Value"], v) {
			t.Errorf("output %s = %v, want %v", id, mustJSON(t, o["Value"]), mustJSON(t, v))
		}
		check(t, "output "+id, func() {
			f.template.HasOutput(jsii.String(id), obj{"Value": assertions.Match_AnyValue()})
		})
	}
	// No secret in any output.
	if js := mustJSON(t, outputs); strings.Contains(js, "ClientSecret") {
		t.Errorf("an output exposes a client secret: %s", js)
	}
}

// Several named clients: one app client each, all in the audience, one
// output each; an explicit domain prefix is used as is.
func TestCodingSeveralClients(t *testing.T) {
	synth(t) // starts jsii once, with the shared fixture
	dir := t.TempDir()
	if err := placeholderCode(dir); err != nil {
		t.Fatal(err)
	}
	ctx, err := cdkContext()
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(t.TempDir(), "cdk.out"))})
	stack := NewStack(app, "Ream-multi", &StackProps{Stage: "multi", Pipeline: PipelineProps{
		CodeDir:             dir,
		CodingClients:       []string{"statistics-office", "census_batch"},
		CodingClientTenants: map[string]string{"statistics-office": "123456789012-3f2a9c1b0d4e5f60"},
		CodingDomainPrefix:  "ream-stats-office",
	}})
	tmpl := assertions.Template_FromStack(stack.Stack, nil)
	c := stack.Pipeline.CodingAuth()
	if len(c.Clients) != 2 || c.Clients[0].Name != "statistics-office" || c.Clients[1].Name != "census_batch" {
		t.Fatalf("clients %+v", c.Clients)
	}
	id := func(i int) string {
		return *stack.GetLogicalId(c.Clients[i].Client.Node().DefaultChild().(awscdk.CfnElement))
	}
	check(t, "two clients", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::Cognito::UserPoolClient"), jsii.Number(2))
		for _, name := range []string{"statistics-office", "census_batch"} {
			tmpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), obj{
				"ClientName": name, "GenerateSecret": true, "AllowedOAuthFlows": arr{"client_credentials"},
			})
		}
	})
	check(t, "audience lists both", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), obj{
			"JwtConfiguration": like(obj{"Audience": arr{ref(id(0)), ref(id(1))}}),
		})
	})
	check(t, "domain prefix", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolDomain"), obj{"Domain": "ream-stats-office"})
	})
	check(t, "the api function maps the mapped client to its tenant, and only it", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"Environment": obj{"Variables": like(obj{"REAM_CODING_TENANTS": obj{"Fn::Join": arr{"", arr{ref(id(0)), "=123456789012-3f2a9c1b0d4e5f60"}}}})},
		})
	})
	check(t, "client outputs", func() {
		tmpl.HasOutput(jsii.String("CodingClientId"), obj{"Value": ref(id(0))})
		tmpl.HasOutput(jsii.String("CodingClientIdCensusBatch"), obj{"Value": ref(id(1))})
	})
}

func TestCodingPropsValidation(t *testing.T) {
	dir := t.TempDir()
	if err := placeholderCode(dir); err != nil {
		t.Fatal(err)
	}
	r, err := resolve(&PipelineProps{CodeDir: dir})
	if err != nil || !reflect.DeepEqual(r.CodingClients, []string{DefaultCodingClient}) {
		t.Errorf("default clients %v (%v), want [%s]", r.CodingClients, err, DefaultCodingClient)
	}
	bad := map[string]PipelineProps{
		"client name with space":      {CodeDir: dir, CodingClients: []string{"statistics office"}},
		"client name digit first":     {CodeDir: dir, CodingClients: []string{"1office"}},
		"clients sharing an id":       {CodeDir: dir, CodingClients: []string{"stats-office", "stats_office"}},
		"prefix upper case":           {CodeDir: dir, CodingDomainPrefix: "Ream-dev"},
		"prefix with aws":             {CodeDir: dir, CodingDomainPrefix: "ream-aws-dev"},
		"prefix ending with a dash":   {CodeDir: dir, CodingDomainPrefix: "ream-"},
		"tenant of an unknown client": {CodeDir: dir, CodingClientTenants: map[string]string{"other": "t1"}},
		"tenant with a slash":         {CodeDir: dir, CodingClientTenants: map[string]string{"coding": "a/b"}},
	}
	for name, p := range bad {
		if _, err := resolve(&p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for in, want := range map[string]string{"statistics-office": "StatisticsOffice", "census_batch": "CensusBatch", "coding": "Coding"} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}

// unique returns the sorted distinct strings of s.
func unique(s []string) []string {
	out := sorted(s)
	for i := len(out) - 1; i > 0; i-- {
		if out[i] == out[i-1] {
			out = append(out[:i], out[i+1:]...)
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// govCloudCondition is the logical id of the template's condition that the stack is deployed in
// AWS GovCloud (US) (the CodingTokenUrl's auth-fips host).
func (f *fixture) govCloudCondition(t *testing.T) string {
	t.Helper()
	want := obj{"Fn::Equals": arr{ref("AWS::Partition"), "aws-us-gov"}}
	conds, _ := f.tmpl["Conditions"].(obj)
	for id, c := range conds {
		if reflect.DeepEqual(c, want) {
			return id
		}
	}
	t.Fatalf("no condition %v among %v", want, keys(conds))
	return ""
}
