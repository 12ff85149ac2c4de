package main

import (
	"reflect"
	"strings"
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

// TestCheckStage: a stage name is a letter, then up to 31 letters, digits and '-' (README,
// Several stages or regions); one longer is refused with a message that names the bound, not only
// the characters, which it has right.
func TestCheckStage(t *testing.T) {
	for _, ok := range []string{"dev", "prod-eu", "a", "a" + strings.Repeat("b", 31)} {
		if err := checkStage(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1dev", "-dev", "prod_eu", "a" + strings.Repeat("b", 32)} {
		err := checkStage(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "32 characters at most") {
			t.Errorf("%q: %v does not say the length bound", bad, err)
		}
	}
}
