package reamcdk

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// An enterprise landing zone's rules for the pipeline: a permissions boundary and a path on every
// IAM role (SCPs that deny iam:CreateRole without them), every function in given private subnets
// with given security groups (PipelineProps.PermissionsBoundary, RolePath, SubnetIds,
// SecurityGroupIds), and cost-allocation tags on every taggable resource (StackProps.Tags).

var (
	policyARN  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[\x21-\x7e]{1,512}$`)
	policyName = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,128}$`)
	// IAM's path: "/" alone, or "/" then characters 0x21..0x7E ending in "/" (IAM API reference, Role).
	rolePath = regexp.MustCompile(`^/([\x21-\x7e]+/)?$`)
	subnetID = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	sgID     = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
)

// Lambda's VpcConfig limits: at most 16 subnets and 5 security groups (Lambda API reference, VpcConfig).
const (
	maxSubnets        = 16
	maxSecurityGroups = 5
)

func resolveLandingZone(r *resolved) error {
	if b := r.PermissionsBoundary; b != "" && !policyARN.MatchString(b) && !policyName.MatchString(b) {
		return fmt.Errorf("reamcdk: PermissionsBoundary %q: want a managed policy's ARN (arn:<partition>:iam::<account>:policy/<name>) or the name of one of the account's", b)
	}
	if r.RolePath == "" {
		r.RolePath = "/"
	}
	if len(r.RolePath) > 512 || !rolePath.MatchString(r.RolePath) {
		return fmt.Errorf("reamcdk: RolePath %q: want \"/\" or a path such as /app/ream/ (starting and ending with /, printable ASCII without spaces, 512 at most)", r.RolePath)
	}
	switch {
	case len(r.SubnetIds) == 0 && len(r.SecurityGroupIds) == 0:
	case len(r.SubnetIds) == 0 || len(r.SecurityGroupIds) == 0:
		return fmt.Errorf("reamcdk: SubnetIds and SecurityGroupIds go together: a function in a VPC needs both (got %d subnets, %d security groups)", len(r.SubnetIds), len(r.SecurityGroupIds))
	case len(r.SubnetIds) > maxSubnets || len(r.SecurityGroupIds) > maxSecurityGroups:
		return fmt.Errorf("reamcdk: %d subnets and %d security groups: Lambda takes at most %d and %d", len(r.SubnetIds), len(r.SecurityGroupIds), maxSubnets, maxSecurityGroups)
	}
	for _, id := range r.SubnetIds {
		if !subnetID.MatchString(id) {
			return fmt.Errorf("reamcdk: SubnetIds: %q is not a subnet id (subnet-…)", id)
		}
	}
	for _, id := range r.SecurityGroupIds {
		if !sgID.MatchString(id) {
			return fmt.Errorf("reamcdk: SecurityGroupIds: %q is not a security group id (sg-…)", id)
		}
	}
	return nil
}

// inVPC puts fn in the subnets and security groups r names (nothing when it names none), and lets
// role manage the function's network interfaces. The function's L1 VpcConfig is set: the L2
// Function's Vpc prop wants an IVpc (its id and availability zones) only to select subnets that
// are given here by id. Lambda creates, describes and deletes the interfaces with the execution
// role and checks at CreateFunction that it may: the actions of AWSLambdaVPCAccessExecutionRole
// (without its logs:*, which the role has for its own log group), written out as every other
// grant is; DescribeNetworkInterfaces works only on "*" and the interfaces' ids are Lambda's, so
// the statement's resource is "*" (Lambda developer guide, "Giving Lambda functions access to
// resources in an Amazon VPC": execution role and user permissions).
func inVPC(r *resolved, fn awslambda.Function, role awsiam.Role) {
	if len(r.SubnetIds) == 0 {
		return
	}
	fn.Node().DefaultChild().(awslambda.CfnFunction).SetVpcConfig(&awslambda.CfnFunction_VpcConfigProperty{
		SubnetIds:        jsii.Strings(r.SubnetIds...),
		SecurityGroupIds: jsii.Strings(r.SecurityGroupIds...),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("LambdaVpcNetworkInterfaces"),
		Actions:   jsii.Strings(VPCNetworkInterfaceActions...),
		Resources: jsii.Strings("*"),
	}))
	suppress(role, true, suppression{
		id: "AwsSolutions-IAM5",
		reason: "The function runs in the landing zone's VPC: Lambda manages its network interfaces with the execution role, " +
			"whose ids it chooses at run time, and ec2:DescribeNetworkInterfaces works only on \"*\"; the actions are exactly " +
			"those of AWSLambdaVPCAccessExecutionRole without its logs:* (Lambda developer guide, VPC access).",
		appliesTo: []interface{}{"Resource::*"},
	})
}

// VPCNetworkInterfaceActions are what a function in a VPC needs its role to allow (inVPC).
var VPCNetworkInterfaceActions = []string{
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
	"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}

// rolesFollow gives every IAM role under scope the landing zone's path and permissions boundary:
// the path on each role's L1 (every role exists by now), the boundary through CDK's
// PermissionsBoundary.of(scope).apply, which sets it on every role and user under scope, also
// those a later construct adds.
func rolesFollow(r *resolved, scope constructs.Construct) {
	if r.RolePath != "/" {
		for _, c := range *scope.Node().FindAll(constructs.ConstructOrder_PREORDER) {
			if role, ok := c.(awsiam.CfnRole); ok {
				role.SetPath(jsii.String(r.RolePath))
			}
		}
	}
	if r.PermissionsBoundary == "" {
		return
	}
	var boundary awsiam.IManagedPolicy
	if strings.HasPrefix(r.PermissionsBoundary, "arn:") {
		boundary = awsiam.ManagedPolicy_FromManagedPolicyArn(scope, jsii.String("PermissionsBoundary"), jsii.String(r.PermissionsBoundary))
	} else {
		boundary = awsiam.ManagedPolicy_FromManagedPolicyName(scope, jsii.String("PermissionsBoundary"), jsii.String(r.PermissionsBoundary))
	}
	awsiam.PermissionsBoundary_Of(scope).Apply(boundary)
}

// Tag keys and values: 1..128 and 0..256 characters (Unicode characters, not bytes: a value of
// 200 accented letters is a tag), of the characters AWS allows in tags (letters, numbers, white
// space representable in UTF-8, and _ . : / = + - @; found in review: `CostCenter#1` passed the
// synth and would have failed the deploy), keys starting with "aws:" are AWS's (Tagging AWS
// resources, tag naming limits), and the stack's own keys (stackTagKeys) are not given again:
// `TAGS=ream:stage=x` would have replaced the stage's tag on every resource.
func checkTags(tags map[string]string) error {
	ks := make([]string, 0, len(tags))
	for k := range tags {
		ks = append(ks, k)
	}
	sort.Strings(ks) // the first bad tag by key, whatever the map's order
	for _, k := range ks {
		v := tags[k]
		if k == "" || utf8.RuneCountInString(k) > 128 || utf8.RuneCountInString(v) > 256 || strings.HasPrefix(strings.ToLower(k), "aws:") ||
			!tagChars.MatchString(k) || !tagChars.MatchString(v) {
			return fmt.Errorf("reamcdk: tag %q=%q: keys are 1..128 characters and do not start with aws:, values 256 at most, both of letters, numbers, spaces and _ . : / = + - @", k, v)
		}
		if slices.Contains(stackTagKeys, k) {
			return fmt.Errorf("reamcdk: tag %q=%q: %s is the stack's own tag (set from the stage): choose another key", k, v, k)
		}
	}
	return nil
}

// tagChars is what AWS allows in a tag's key and value.
var tagChars = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// tagAll tags every taggable resource of the stack with tags.
func tagAll(stack awscdk.Stack, tags map[string]string) {
	for k, v := range tags {
		awscdk.Tags_Of(stack).Add(jsii.String(k), jsii.String(v), nil)
	}
}
