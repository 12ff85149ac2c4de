package reamcdk

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/ream-dev/ream/shared/api"
)

// corsOf returns the one HTTP API's CorsConfiguration and the main bucket's one CORS rule.
func corsOf(t *testing.T, f *fixture) (apiCors, bucketRule obj) {
	t.Helper()
	for _, a := range f.resources("AWS::ApiGatewayV2::Api") {
		c, _ := props(a)["CorsConfiguration"].(obj)
		if apiCors != nil {
			t.Fatal("more than one HTTP API")
		}
		apiCors = c
	}
	for _, b := range f.resources("AWS::S3::Bucket") {
		if c, ok := props(b)["CorsConfiguration"].(obj); ok {
			rules, _ := c["CorsRules"].([]any)
			if len(rules) != 1 || bucketRule != nil {
				t.Fatalf("want one bucket with one CORS rule; got rules %v", rules)
			}
			bucketRule = rules[0].(obj)
		}
	}
	return apiCors, bucketRule
}

func strs(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// A browser app can call the HTTP API: it has a CorsPreflight (before, it had none, so a page
// could PUT to the bucket but never create the job), the same rule the local server applies
// (api.APICORS), Authorization and SigV4's headers allowed by name, no credentials, and the
// deployment's origins on the API and the bucket alike.
func TestCORS(t *testing.T) {
	check := func(f *fixture, origins []string) {
		t.Helper()
		apiCors, bucket := corsOf(t, f)
		if apiCors == nil {
			t.Fatal("the HTTP API has no CorsConfiguration: a browser page cannot call it")
		}
		if got := strs(apiCors["AllowOrigins"]); !reflect.DeepEqual(got, origins) {
			t.Errorf("API AllowOrigins %v, want %v", got, origins)
		}
		if got := strs(apiCors["AllowHeaders"]); !reflect.DeepEqual(got, api.APICORS.AllowHeaders) || !strings.Contains(strings.Join(got, ","), "authorization") {
			t.Errorf("API AllowHeaders %v, want %v (authorization by name)", got, api.APICORS.AllowHeaders)
		}
		if got := strs(apiCors["AllowMethods"]); !reflect.DeepEqual(got, api.APICORS.Methods) {
			t.Errorf("API AllowMethods %v, want %v", got, api.APICORS.Methods)
		}
		if got := strs(apiCors["ExposeHeaders"]); !reflect.DeepEqual(got, api.APICORS.ExposeHeaders) {
			t.Errorf("API ExposeHeaders %v, want %v", got, api.APICORS.ExposeHeaders)
		}
		if apiCors["AllowCredentials"] != false {
			t.Errorf("API AllowCredentials %v, want false", apiCors["AllowCredentials"])
		}
		if got := strs(bucket["AllowedOrigins"]); !reflect.DeepEqual(got, origins) {
			t.Errorf("bucket AllowedOrigins %v, want %v", got, origins)
		}
		if got := strs(bucket["AllowedMethods"]); !reflect.DeepEqual(got, api.ObjectsCORS.Methods) {
			t.Errorf("bucket AllowedMethods %v, want %v", got, api.ObjectsCORS.Methods)
		}
		if got := strs(bucket["ExposedHeaders"]); !reflect.DeepEqual(got, api.ObjectsCORS.ExposeHeaders) {
			t.Errorf("bucket ExposedHeaders %v, want %v (a ranged download's Content-Range among them)", got, api.ObjectsCORS.ExposeHeaders)
		}
	}
	check(synth(t), []string{"*"})
	origins := []string{"https://app.example.com", "http://localhost:5173"}
	check(synthWith(t, "cors", func(awscdk.App) PipelineProps { return PipelineProps{CorsAllowedOrigins: origins} }), origins)
}

// An origin a browser never sends (a trailing slash, a path, no scheme) is refused at synth
// rather than matching nothing.
func TestCORSOriginsChecked(t *testing.T) {
	dir := t.TempDir()
	if err := placeholderCode(dir); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"https://app.example.com/", "app.example.com", "https://a.example/x"} {
		if _, err := resolve(&PipelineProps{CodeDir: dir, CorsAllowedOrigins: []string{o}}); err == nil || !strings.Contains(err.Error(), "CorsAllowedOrigins") {
			t.Errorf("origin %q: %v; want an error naming CorsAllowedOrigins", o, err)
		}
	}
}
