package reamcdk

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEAuthorisationMatchesTemplate: what the README's HTTP API and Deploy sections say
// about the gateway's authorisers is what the template has: AWS_IAM on the /v1 routes and
// /v1/health (not "no auth"), JWT on the coding routes, and no authoriser on POST / only.
func TestREADMEAuthorisationMatchesTemplate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Join(strings.Fields(string(b)), " ") // line breaks are not meaning
	f := synth(t)
	byKind := map[string][]string{}
	for _, r := range f.resources("AWS::ApiGatewayV2::Route") {
		p := props(r)
		byKind[p["AuthorizationType"].(string)] = append(byKind[p["AuthorizationType"].(string)], p["RouteKey"].(string))
	}
	if got := byKind["NONE"]; len(got) != 1 || got[0] != "POST /" {
		t.Fatalf("routes without an authoriser %v; this test expects POST / alone", got)
	}
	if strings.Contains(readme, "IAM authorisation on every route") {
		t.Error("README claims IAM authorisation on every route; POST / has none and the coding routes take JWT")
	}
	words := map[int]string{8: "eight"}
	if w, ok := words[len(byKind["JWT"])]; !ok || !strings.Contains(readme, "JWT authoriser on the "+w+" coding routes") {
		t.Errorf("README does not say the JWT authoriser is on the %d coding routes", len(byKind["JWT"]))
	}
	if !strings.Contains(readme, "no authoriser at the gateway on `POST /`") {
		t.Error("README Deploy section does not say POST / has no authoriser at the gateway")
	}
	healthIAM := false
	for _, k := range byKind["AWS_IAM"] {
		healthIAM = healthIAM || k == "GET /v1/health"
	}
	if !healthIAM {
		t.Fatal("GET /v1/health is not AWS_IAM in the template; the README checks below assume it is")
	}
	if strings.Contains(readme, "| `GET /v1/health` | liveness, no auth |") {
		t.Error("README's route table says /v1/health has no auth; on AWS it is AWS_IAM")
	}
	if !strings.Contains(readme, "`/v1/jobs…`, `/v1/drop-rules…` and `/v1/health` routes stay AWS_IAM") {
		t.Error("README does not list the AWS_IAM routes (/v1/jobs…, /v1/drop-rules…, /v1/health)")
	}
}

// TestREADMEAlarmCount: What it costs counts the stack's alarms (each is billed); the figure is
// the template's.
func TestREADMEAlarmCount(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Join(strings.Fields(string(b)), " ")
	n := len(synth(t).resources("AWS::CloudWatch::Alarm"))
	want := fmt.Sprintf("%d alarms × $0.10 = $%.2f", n, 0.10*float64(n))
	if !strings.Contains(readme, want) {
		t.Errorf("README's fixed cost does not say %q (the template has %d alarms at $0.10 each)", want, n)
	}
}
