package jsonkeys

import (
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestDeepValueCostsItsSize: a value nested as deep as encoding/json takes (10,000 levels), where
// nothing is checked inside it (an unknown field left to the decoder, a struct field sent as an
// array, a string field), is read past in memory proportional to its size. Found from outside: a
// path string was built per level, so one such 20 KB value allocated about 150 MB and took a
// second of CPU, and a 1 MiB body of 50 of them five seconds. The bound here is on bytes
// allocated, not on time.
func TestDeepValueCostsItsSize(t *testing.T) {
	type tag struct{ Key, Value string }
	type body struct {
		Name string
		Tags []tag
	}
	deep := strings.Repeat("[", 9990) + strings.Repeat("]", 9990)
	for _, c := range []struct {
		doc   string
		check func([]byte, reflect.Type) error
	}{
		{`{"Tags":[` + deep + `]}`, CheckKnown},         // a struct element sent as an array
		{`{"Tags":[` + deep + `,` + deep + `]}`, Check}, // two of them
		{`{"Name":` + deep + `}`, CheckKnown},           // a string field
		{`{"Other":` + deep + `}`, Check},               // a field the type does not have
		{`{"Name":"a","Tags":[{"Key":"k","Value":"v","Key":"x"}],"Other":` + deep + `}`, Check},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := c.check([]byte(c.doc), reflect.TypeFor[body]())
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64*uint64(len(c.doc)) {
			t.Errorf("%.40s… (%d bytes): %d bytes allocated, want at most 64 per byte of the document", c.doc, len(c.doc), alloc)
		}
		if strings.Contains(c.doc, `"Key":"x"`) {
			if err == nil || !strings.Contains(err.Error(), `"Key" is given twice in Tags[0]`) {
				t.Errorf("a key given twice beside a deep value: %v, want it refused", err)
			}
		} else if err != nil {
			t.Errorf("%.40s…: %v, want nothing refused (the decoder judges the value's type)", c.doc, err)
		}
	}
}
