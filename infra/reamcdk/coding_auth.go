package reamcdk

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// OAuth2 for the coding routes. The statistics office's systems are
// machines, not IAM principals: they get an access token from the user
// pool's token endpoint with the client-credentials grant (client id and
// secret, scope ream/coding) and send it in the Authorization header. The
// HTTP API's JWT authoriser checks its signature, issuer, expiry, audience
// (for a Cognito access token: the client_id claim, which must be one of
// the app clients below) and scope before the API function is invoked; the
// function reads the verified claims from requestContext.authorizer.jwt
// (claims.client_id, claims.scope, scopes). The /v1/jobs… routes and
// /v1/health keep AWS_IAM.

const (
	// CodingResourceServerID is the user pool resource server's identifier:
	// the prefix of its scopes.
	CodingResourceServerID = "ream"
	// CodingScopeName is the scope, on that resource server, the coding routes require.
	CodingScopeName = "coding"
	// CodingScope is the full scope a client asks for and a token carries.
	CodingScope = CodingResourceServerID + "/" + CodingScopeName
	// DefaultCodingClient names the app client created when
	// PipelineProps.CodingClients is empty.
	DefaultCodingClient = "coding"
)

// CodingRoutes are the routes behind the JWT authoriser (scope CodingScope),
// each integrated with the api function like Routes. There is no $default
// or {proxy+} route; API Gateway would prefer these exact routes to one anyway.
// GET /v1/topics/{topic}/models/{model} also serves the model "latest".
var CodingRoutes = []struct {
	Method awsapigatewayv2.HttpMethod
	Path   string
}{
	{awsapigatewayv2.HttpMethod_GET, "/v1/topics"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/topics/{topic}"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/topics/{topic}/models"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/topics/{topic}/models/{model}"},
	{awsapigatewayv2.HttpMethod_POST, "/v1/topics/{topic}/batch-code"},
	{awsapigatewayv2.HttpMethod_POST, "/v1/topics/{topic}/models/{model}/batch-code"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/topics/{topic}/batch-code/operations/{operationId}"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/topics/{topic}/models/{model}/batch-code/operations/{operationId}"},
}

// CodingClient is one OAuth2 app client of the coding API.
type CodingClient struct {
	Name   string // as given in PipelineProps.CodingClients (the client's name in Cognito)
	Client awscognito.UserPoolClient
}

// CodingAuth is the OAuth2 side of the coding routes: the user pool, its
// resource server and domain, the app clients and the JWT authoriser.
type CodingAuth struct {
	UserPool       awscognito.UserPool
	ResourceServer awscognito.UserPoolResourceServer
	Domain         awscognito.UserPoolDomain
	Clients        []CodingClient // in PipelineProps.CodingClients order
	Authorizer     awsapigatewayv2authorizers.HttpUserPoolAuthorizer
	// authHost is the domain's host label where the stack is deployed: auth, or auth-fips in
	// AWS GovCloud (US), where Cognito serves its domains on FIPS endpoints only (CDK's
	// BaseUrl() says auth, a host GovCloud does not serve). A CloudFormation condition, so the
	// environment-agnostic template `make synth` writes is right in every partition.
	authHost *string
}

// TokenURL is the OAuth2 token endpoint:
// https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token, auth-fips in AWS GovCloud (US).
func (c *CodingAuth) TokenURL() *string {
	return jsii.String("https://" + *c.Domain.DomainName() + "." + *c.authHost + "." + *awscdk.Stack_Of(c.Domain).Region() +
		".amazoncognito.com/oauth2/token")
}

// Issuer is the tokens' iss claim, which the authoriser requires.
func (c *CodingAuth) Issuer() *string {
	return jsii.String("https://cognito-idp." + *awscdk.Stack_Of(c.UserPool).Region() + ".amazonaws.com/" + *c.UserPool.UserPoolId())
}

var (
	codingClientName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	cognitoPrefix    = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	// Cognito refuses domain prefixes containing these words.
	reservedInPrefix = []string{"aws", "amazon", "cognito"}
)

func resolveCoding(r *resolved) error {
	if len(r.CodingClients) == 0 {
		r.CodingClients = []string{DefaultCodingClient}
	}
	seen := map[string]string{}
	for _, n := range r.CodingClients {
		if !codingClientName.MatchString(n) {
			return fmt.Errorf("reamcdk: coding client name %q: use a letter, then letters, digits, '-' or '_' (at most 64)", n)
		}
		id := camel(n)
		if prev, dup := seen[id]; dup {
			return fmt.Errorf("reamcdk: coding clients %q and %q would share the id %s", prev, n, id)
		}
		seen[id] = n
	}
	for name, tenant := range r.CodingClientTenants {
		if _, ok := seen[camel(name)]; !ok || seen[camel(name)] != name {
			return fmt.Errorf("reamcdk: CodingClientTenants names %q, which is not in CodingClients", name)
		}
		if !layout.ValidTenant(tenant) { // the functions' own rule (REAM_CODING_TENANTS is read with it)
			return fmt.Errorf("reamcdk: CodingClientTenants[%q] = %q: a tenant is letters, digits, '.', '_' or '-' (at most 128)", name, tenant)
		}
	}
	if pf := r.CodingDomainPrefix; pf != "" {
		if !cognitoPrefix.MatchString(pf) {
			return fmt.Errorf("reamcdk: CodingDomainPrefix %q: use 1..63 lower-case letters, digits and '-', not starting or ending with '-'", pf)
		}
		for _, w := range reservedInPrefix {
			if strings.Contains(pf, w) {
				return fmt.Errorf("reamcdk: CodingDomainPrefix %q contains %q, which Cognito refuses", pf, w)
			}
		}
	}
	return nil
}

// camel turns a client name into an id part: "statistics-office" ->
// "StatisticsOffice".
func camel(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// CodingClientOutputID is the stack output holding the i-th client's id:
// CodingClientId for the first, CodingClientId<Name> for the others.
func CodingClientOutputID(i int, name string) string {
	if i == 0 {
		return OutputCodingClientID
	}
	return OutputCodingClientID + camel(name)
}

// defaultDomainPrefix is the stack name in lower case (without the words
// Cognito refuses) plus "-" and the first 8 hex digits of the stack id's
// UUID: readable, and unique across the accounts of a region, which a
// domain prefix must be. The stack id never changes for a stack's lifetime.
func defaultDomainPrefix(stack awscdk.Stack) *string {
	name := "ream"
	if n := stack.StackName(); n != nil && !*awscdk.Token_IsUnresolved(n) {
		name = *n
	}
	base := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return '-'
	}, name)
	for changed := true; changed; {
		changed = false
		for _, w := range reservedInPrefix {
			if strings.Contains(base, w) {
				base, changed = strings.ReplaceAll(base, w, ""), true
			}
		}
	}
	for strings.Contains(base, "--") {
		base = strings.ReplaceAll(base, "--", "-")
	}
	if len(base) > 50 {
		base = base[:50]
	}
	if base = strings.Trim(base, "-"); base == "" {
		base = "ream"
	}
	uuid := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), awscdk.Aws_STACK_ID(), nil))
	short := awscdk.Fn_Select(jsii.Number(0), awscdk.Fn_Split(jsii.String("-"), uuid, nil))
	return jsii.String(base + "-" + *short)
}

// codingAuth builds the user pool, its resource server, domain and app
// clients, the JWT authoriser, and the coding routes on the HTTP API, all
// integrated with the api function's integration. The api function's role
// is not touched: a JWT authoriser needs no IAM permission.
func (p *pipeline) codingAuth(r *resolved, integration awsapigatewayv2.HttpRouteIntegration) {
	scope := constructs.NewConstruct(p.Construct, jsii.String("Coding"))
	c := &CodingAuth{}

	// Machine clients only: nobody signs up or signs in, so the pool holds
	// no users and no data. The user-facing settings are still the strict
	// ones (cdk-nag COG1, COG2) in case an operator adds a user by hand.
	c.UserPool = awscognito.NewUserPool(scope, jsii.String("UserPool"), &awscognito.UserPoolProps{
		SelfSignUpEnabled: jsii.Bool(false),
		// Lite: machine-to-machine (client credentials) and resource servers
		// need no higher plan; the Plus plan's threat protection only
		// evaluates user sign-ins (see the COG3 suppression in nag.go).
		FeaturePlan:     awscognito.FeaturePlan_LITE,
		Mfa:             awscognito.Mfa_REQUIRED,
		MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		EnableSmsRole:   jsii.Bool(false),
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(14),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(1)),
		},
		AccountRecovery: awscognito.AccountRecovery_NONE,
		// The pool holds no user data, but its clients' ids are tenants (a
		// client without a CodingClientTenants entry acts as its own id):
		// a pool deleted or replaced would take every id and secret with
		// it, and with them the clients' view of their models and
		// operations (found by an outside review). So it follows the
		// stores' removal policy and, when kept, refuses deletion.
		RemovalPolicy:      r.RemovalPolicy,
		DeletionProtection: jsii.Bool(r.RemovalPolicy != awscdk.RemovalPolicy_DESTROY),
	})

	coding := awscognito.NewResourceServerScope(&awscognito.ResourceServerScopeProps{
		ScopeName:        jsii.String(CodingScopeName),
		ScopeDescription: jsii.String("Call the Ream coding routes under /v1/topics"),
	})
	c.ResourceServer = c.UserPool.AddResourceServer(jsii.String("ResourceServer"), &awscognito.UserPoolResourceServerOptions{
		Identifier:                 jsii.String(CodingResourceServerID),
		UserPoolResourceServerName: jsii.String(*awscdk.Aws_STACK_NAME() + " coding API"),
		Scopes:                     &[]awscognito.ResourceServerScope{coding},
	})

	prefix := jsii.String(r.CodingDomainPrefix)
	if r.CodingDomainPrefix == "" {
		prefix = defaultDomainPrefix(awscdk.Stack_Of(p.Construct))
	}
	c.Domain = c.UserPool.AddDomain(jsii.String("Domain"), &awscognito.UserPoolDomainOptions{
		CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: prefix},
	})
	govCloud := awscdk.NewCfnCondition(scope, jsii.String("InGovCloud"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(awscdk.Aws_PARTITION(), jsii.String("aws-us-gov")),
	})
	c.authHost = awscdk.Fn_ConditionIf(govCloud.LogicalId(), jsii.String("auth-fips"), jsii.String("auth")).ToString()

	// AllowedOAuthScopes refers to the resource server, so CloudFormation
	// creates the scope before the clients that use it.
	codingScope := awscognito.OAuthScope_ResourceServer(c.ResourceServer, coding)
	audience := make([]awscognito.IUserPoolClient, 0, len(r.CodingClients))
	var tenants []string
	for _, name := range r.CodingClients {
		client := c.UserPool.AddClient(jsii.String("Client"+camel(name)), &awscognito.UserPoolClientOptions{
			UserPoolClientName: jsii.String(name),
			GenerateSecret:     jsii.Bool(true),
			OAuth: &awscognito.OAuthSettings{
				Flows:  &awscognito.OAuthFlows{ClientCredentials: jsii.Bool(true)},
				Scopes: &[]awscognito.OAuthScope{codingScope},
			},
			// No user authentication flow: with one flow key given (and
			// false), CDK writes only ALLOW_REFRESH_TOKEN_AUTH, the minimum
			// Cognito accepts; client credentials issue no refresh token.
			AuthFlows:                  &awscognito.AuthFlow{UserSrp: jsii.Bool(false)},
			SupportedIdentityProviders: &[]awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()},
			AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
			EnableTokenRevocation:      jsii.Bool(true),
			PreventUserExistenceErrors: jsii.Bool(true),
		})
		c.Clients = append(c.Clients, CodingClient{Name: name, Client: client})
		audience = append(audience, client)
		if tenant := r.CodingClientTenants[name]; tenant != "" {
			tenants = append(tenants, *client.UserPoolClientId()+"="+tenant)
		}
	}
	if len(tenants) > 0 {
		// The client ids are tokens: the list is joined when the template is deployed.
		p.fns[FnAPI].AddEnvironment(jsii.String("REAM_CODING_TENANTS"), jsii.String(strings.Join(tenants, ",")), nil)
	}

	// Issuer https://cognito-idp.<region>.amazonaws.com/<pool id>; audience
	// the client ids (Cognito access tokens have no aud: API Gateway then
	// checks client_id); identity source the Authorization header, with or
	// without "Bearer ".
	c.Authorizer = awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("CodingAuthorizer"), c.UserPool,
		&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{
			UserPoolClients: &audience,
			AuthorizerName:  jsii.String(*awscdk.Aws_STACK_NAME() + "-coding"),
			IdentitySource:  jsii.Strings("$request.header.Authorization"),
		})
	for _, rt := range CodingRoutes {
		p.api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(rt.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{rt.Method},
			Integration: integration,
			Authorizer:  c.Authorizer,
			// The token must carry this scope; it also keeps ID tokens out.
			AuthorizationScopes: jsii.Strings(CodingScope),
		})
	}
	p.coding = c
}
