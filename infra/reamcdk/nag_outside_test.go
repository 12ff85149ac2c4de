package reamcdk

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cloudformationinclude"
	"github.com/aws/jsii-runtime-go"
)

// TestCdkNagOnTemplateFromOutside runs cdk-nag's AwsSolutions rules as an outsider would: on the
// synthesized template, each resource as CloudFormation has it (included with CfnInclude into
// an empty stack; the suppressions are the ones in the resources' Metadata), not on the
// constructs that made it. CDK's BucketNotificationsHandler function used to be reported here
// (AwsSolutions-L1: not the latest runtime); S3 events now reach ingest through EventBridge and
// the template holds no function of CDK's.
func TestCdkNagOnTemplateFromOutside(t *testing.T) {
	f := synth(t)
	b, err := json.Marshal(f.tmpl)
	if err != nil {
		t.Fatal(err)
	}
	// The including stack brings its own bootstrap version check.
	var tmpl map[string]any
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"Parameters", "Rules"} {
		if m, ok := tmpl[section].(map[string]any); ok {
			delete(m, "BootstrapVersion")
			delete(m, "CheckBootstrapVersion")
			if len(m) == 0 {
				delete(tmpl, section)
			}
		}
	}
	if b, err = json.Marshal(tmpl); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "template.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, err := cdkContext()
	if err != nil {
		t.Fatal(err)
	}
	ctx["@aws-cdk/core:annotationsInValidationReport"] = false
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(t.TempDir(), "cdk.out"))})
	stack := awscdk.NewStack(app, jsii.String("Outside"), nil)
	cloudformationinclude.NewCfnInclude(stack, jsii.String("Ream"), &cloudformationinclude.CfnIncludeProps{TemplateFile: jsii.String(file)})
	CheckAwsSolutions(app)
	var errs []string
	check(t, "annotations", func() {
		ann := assertions.Annotations_FromStack(stack)
		for _, m := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			errs = append(errs, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
		}
	})
	for _, e := range errs {
		t.Errorf("unsuppressed cdk-nag error on the template: %s", e)
	}
}
