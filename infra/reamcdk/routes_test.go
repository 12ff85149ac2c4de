package reamcdk

import (
	"testing"

	"github.com/ream-dev/ream/shared/handlers"
)

// TestGatewayRoutesCoverTheHandler: every authenticated route the API handler serves is routed
// to it by API Gateway (Routes or CodingRoutes), and the gateway routes nothing the handler does
// not serve, so a route added to the handler cannot be forgotten in the stack.
func TestGatewayRoutesCoverTheHandler(t *testing.T) {
	gateway := map[string]bool{}
	for _, r := range Routes {
		gateway[string(r.Method)+" "+r.Path] = true
	}
	for _, r := range CodingRoutes {
		gateway[string(r.Method)+" "+r.Path] = true
	}
	served := map[string]bool{"GET /v1/health": true, string(ComprehendRoute.Method) + " " + ComprehendRoute.Path: true}
	for _, p := range handlers.NewAPI(nil, nil, nil).AuthedRoutes() {
		served[p] = true
		if !gateway[p] {
			t.Errorf("the handler serves %s but API Gateway does not route it", p)
		}
	}
	for p := range gateway {
		if !served[p] {
			t.Errorf("API Gateway routes %s, which the handler does not serve", p)
		}
	}
}
