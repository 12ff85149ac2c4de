package reamcdk

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// deployment is where a stack is deployed: what CloudFormation's pseudo parameters resolve to.
type deployment struct {
	partition, region, urlSuffix string
}

var deployments = []deployment{
	{"aws", "eu-west-2", "amazonaws.com"},
	{"aws", "ap-southeast-2", "amazonaws.com"},
	{"aws-us-gov", "us-gov-west-1", "amazonaws.com"},
	{"aws-cn", "cn-north-1", "amazonaws.com.cn"},
}

// render is v (a template value) as CloudFormation would resolve it in d: the pseudo
// parameters by d, other references as <name>; ok is false for a value that is not a string.
func (d deployment) render(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case map[string]any:
		if len(x) != 1 {
			return "", false
		}
		for fn, arg := range x {
			switch fn {
			case "Ref":
				switch arg {
				case "AWS::Partition":
					return d.partition, true
				case "AWS::Region":
					return d.region, true
				case "AWS::URLSuffix":
					return d.urlSuffix, true
				case "AWS::AccountId":
					return "123456789012", true
				}
				return fmt.Sprintf("<%v>", arg), true
			case "Fn::GetAtt":
				return fmt.Sprintf("<%v>", arg), true
			case "Fn::Join":
				a, _ := arg.([]any)
				if len(a) != 2 {
					return "", false
				}
				sep, _ := a[0].(string)
				parts, _ := a[1].([]any)
				var out []string
				for _, p := range parts {
					s, ok := d.render(p)
					if !ok {
						return "", false
					}
					out = append(out, s)
				}
				return strings.Join(out, sep), true
			}
		}
	}
	return "", false
}

// strings calls fn with every string the template's resources and outputs resolve to in d, and
// where it is (the path of keys).
func (d deployment) strings(tmpl map[string]any, fn func(path, s string)) {
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if s, ok := d.render(v); ok {
			fn(path, s)
			return
		}
		switch x := v.(type) {
		case map[string]any:
			ks := make([]string, 0, len(x))
			for k := range x {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			for _, k := range ks {
				walk(path+"/"+k, x[k])
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s/%d", path, i), e)
			}
		}
	}
	walk("Resources", tmpl["Resources"])
	walk("Outputs", tmpl["Outputs"])
}

// TestTemplateFollowsThePartition resolves the stack's template (environment-agnostic, as
// `make synth` writes it without credentials) as CloudFormation would in eu-west-2,
// ap-southeast-2, GovCloud and China: no ARN may be of another partition and no service name of
// another endpoint suffix. kms:ViaService names S3 and SNS by their endpoints there
// (s3.cn-north-1.amazonaws.com.cn in China); it was written in as <service>.<region>.amazonaws.com,
// a name no request in China carries, so every SSE-KMS read and write and every publish to the
// KMS-encrypted topic would have been refused (found by the review of deployments outside
// us-east-1). Service principals are the same in every partition and not checked; the coding
// authoriser's issuer is CDK's (HttpUserPoolAuthorizer) and Cognito user pools are not offered
// in China.
func TestTemplateFollowsThePartition(t *testing.T) {
	f := synth(t)
	for _, d := range deployments {
		otherSuffix := regexp.MustCompile(`amazonaws\.com(?:$|[^.])`)
		if d.urlSuffix == "amazonaws.com" {
			otherSuffix = regexp.MustCompile(`amazonaws\.com\.cn`)
		}
		via := map[string]bool{}
		d.strings(f.tmpl, func(path, s string) {
			if strings.Contains(path, "/Principal") || strings.HasSuffix(path, "/JwtConfiguration/Issuer") {
				return
			}
			if d.partition != "aws" && strings.Contains(s, "arn:aws:") || otherSuffix.MatchString(s) {
				t.Errorf("%s (%s): %s is %q", d.region, d.partition, path, s)
			}
			if strings.Contains(path, "/kms:ViaService/") {
				via[s] = true
			}
		})
		want := map[string]bool{"s3." + d.region + "." + d.urlSuffix: true, "sns." + d.region + "." + d.urlSuffix: true}
		if len(via) != len(want) || !via["s3."+d.region+"."+d.urlSuffix] || !via["sns."+d.region+"."+d.urlSuffix] {
			t.Errorf("%s: kms:ViaService %v, want %v", d.region, keys(via), keys(want))
		}
	}
}

// resolveIf is v with each Fn::If replaced by its branch in d, the template's Conditions
// evaluated (Fn::Equals of two values render resolves); ok is false for a condition it cannot.
func (d deployment) resolveIf(tmpl map[string]any, v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		if arg, isIf := x["Fn::If"].([]any); isIf && len(x) == 1 && len(arg) == 3 {
			conds, _ := tmpl["Conditions"].(map[string]any)
			c, _ := conds[fmt.Sprint(arg[0])].(map[string]any)
			eq, _ := c["Fn::Equals"].([]any)
			if len(eq) != 2 {
				return nil, false
			}
			a, okA := d.render(eq[0])
			b, okB := d.render(eq[1])
			if !okA || !okB {
				return nil, false
			}
			if a == b {
				return d.resolveIf(tmpl, arg[1])
			}
			return d.resolveIf(tmpl, arg[2])
		}
		out := map[string]any{}
		for k, e := range x {
			r, ok := d.resolveIf(tmpl, e)
			if !ok {
				return nil, false
			}
			out[k] = r
		}
		return out, true
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, ok := d.resolveIf(tmpl, e)
			if !ok {
				return nil, false
			}
			out[i] = r
		}
		return out, true
	}
	return v, true
}

// TestCodingTokenURLFollowsThePartition: the CodingTokenUrl output is the user pool domain's
// token endpoint where the stack is deployed: <prefix>.auth.<region>.amazoncognito.com, and in
// AWS GovCloud (US), where Cognito serves its domains on FIPS endpoints only,
// <prefix>.auth-fips.<region>.amazoncognito.com. It was the first everywhere (CDK's BaseUrl()),
// a host GovCloud does not serve, so the coding API's clients there got no token from the URL
// the stack gave them (found by the review of deployments in other regions). China has no
// Cognito user pools (see README).
func TestCodingTokenURLFollowsThePartition(t *testing.T) {
	f := synth(t)
	out, _ := f.tmpl["Outputs"].(map[string]any)[OutputCodingTokenURL].(map[string]any)
	for _, d := range deployments {
		if d.partition == "aws-cn" {
			continue
		}
		v, ok := d.resolveIf(f.tmpl, out["Value"])
		if !ok {
			t.Fatalf("%s: cannot resolve %v", d.region, out["Value"])
		}
		got, ok := d.render(v)
		if !ok {
			t.Fatalf("%s: cannot render %v", d.region, v)
		}
		host := "auth"
		if d.partition == "aws-us-gov" {
			host = "auth-fips"
		}
		domain := "<" + f.id(f.stack.Pipeline.CodingAuth().Domain) + ">"
		if want := "https://" + domain + "." + host + "." + d.region + ".amazoncognito.com/oauth2/token"; got != want {
			t.Errorf("%s (%s): CodingTokenUrl %s, want %s", d.region, d.partition, got, want)
		}
	}
}
