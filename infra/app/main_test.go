package main

import (
	"reflect"
	"testing"
)

// TestTenantPairs: well-formed pairs map clients to tenants; a malformed one is refused (it was
// dropped silently, found from outside).
func TestTenantPairs(t *testing.T) {
	got, err := tenantPairs([]string{"statistics-office=123456789012-3f2a", "census=c1"})
	if err != nil || !reflect.DeepEqual(got, map[string]string{"statistics-office": "123456789012-3f2a", "census": "c1"}) {
		t.Errorf("pairs: %v, %v", got, err)
	}
	for _, bad := range []string{"coding:123456789012", "coding=", "=t1"} {
		if _, err := tenantPairs([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
