package reamcdk

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// CheckAwsSolutions applies cdk-nag's AwsSolutions rules to everything
// under scope. Findings are annotations: errors fail `cdk synth` (and the
// tests), warnings are printed.
func CheckAwsSolutions(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppression is one cdk-nag suppression; reason is mandatory.
type suppression struct {
	id        string
	reason    string
	appliesTo []interface{} // string or cdknag.RegexAppliesTo
}

func suppress(c constructs.IConstruct, children bool, ss ...suppression) {
	out := make([]*cdknag.NagPackSuppression, len(ss))
	for i, s := range ss {
		if strings.TrimSpace(s.reason) == "" {
			panic("reamcdk: a cdk-nag suppression needs a reason: " + s.id)
		}
		out[i] = &cdknag.NagPackSuppression{Id: jsii.String(s.id), Reason: jsii.String(s.reason)}
		if len(s.appliesTo) > 0 {
			at := append([]interface{}{}, s.appliesTo...)
			out[i].AppliesTo = &at
		}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &out, jsii.Bool(children))
}

// suppressions are the pipeline's accepted findings, each with its reason.
// Nothing else is suppressed; the tests fail on any other error.
func (p *pipeline) suppressions() {
	// AwsSolutions-IAM5 on object ARNs: the functions work on keys that are
	// generated per tenant and job (or model) at run time (inputs/<tenant>/<job>/…), so
	// object-level statements end in a prefix wildcard. Only the exact
	// prefixes each function needs are granted (see Access); the actions
	// themselves are exact.
	bucketID := *awscdk.Stack_Of(p.bucket).GetLogicalId(p.bucket.Node().DefaultChild().(awscdk.CfnElement))
	var objectARNs []interface{}
	for _, pf := range append(append([]string{}, allAreas...), AccessKeysPrefix, ModelsPrefix, ShippedModelsPrefix) {
		objectARNs = append(objectARNs, "Resource::<"+bucketID+".Arn>/"+pf+"*")
	}
	for _, name := range FunctionNames {
		suppress(p.roles[name], true, suppression{
			id: "AwsSolutions-IAM5",
			reason: "Object keys are created per tenant and job at run time; the " + name +
				" function gets exact actions on only the key prefixes its code touches (inputs/, work/, outputs/; models/_shipped/, " +
				"models/ for the worker; access-keys/ for the api function).",
			appliesTo: objectARNs,
		}, suppression{
			id: "AwsSolutions-IAM5",
			reason: "A job may name its own completion topic (NotificationChannel, as Textract's); the " + name +
				" function may only sns:Publish, only to topics of this account and region named " + p.jobTopicPrefix + "… (the API refuses other names), and the topic's policy must allow it.",
			appliesTo: []interface{}{"Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:" + p.jobTopicPrefix + "*"},
		})
	}

	// AwsSolutions-APIG4 on POST /: Comprehend's protocol is signed with SigV4 for service
	// "comprehend", which API Gateway's IAM authoriser (execute-api signatures only) cannot
	// verify; the api function verifies it (handlers.SigV4Auth) against the access keys Ream
	// issued, before doing anything else.
	suppress(p.comprehendRoute, true, suppression{
		id: "AwsSolutions-APIG4",
		reason: "Comprehend-compatible route: requests are signed with SigV4 for service comprehend, which the gateway's IAM " +
			"authoriser cannot verify; the api function verifies the signature (±15 min, signed headers, body hash) " +
			"against the access keys Ream issued before it does anything else.",
	})

	// AwsSolutions-COG3 (advanced security ENFORCED): the coding API's user
	// pool serves machine clients with the client-credentials grant only.
	// Threat protection (formerly advanced security, Plus plan only) scores
	// user sign-ins: compromised passwords, adaptive authentication. There
	// is no sign-in here to score: no self sign-up, no user auth flow on
	// any client. COG1 and COG2 are met (strong password policy, MFA
	// required) in case an operator ever adds a user by hand.
	suppress(p.coding.UserPool, false, suppression{
		id: "AwsSolutions-COG3",
		reason: "Machine-to-machine pool: clients use only the OAuth2 client-credentials grant; threat protection " +
			"(advanced security, Plus plan) evaluates user sign-ins, of which this pool has none (no self sign-up, " +
			"no user authentication flow on any client).",
	})
}
