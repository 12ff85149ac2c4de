// Package jsonkeys refuses, in a JSON document bound for a Go type, the keys encoding/json
// would take silently: a key that matches a struct field only when case is ignored, and a
// field's (or a map's) key given twice. The /v1 request bodies and the local stack's configuration file use it.
package jsonkeys

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Check reads the one JSON value in data (valid JSON: the caller has read it) as it will be
// decoded into a value of type t, and refuses, in every object that decodes into a struct, a key
// that matches a field only when case is ignored (encoding/json would take it for the field) and a
// field's key given twice (encoding/json would keep the last one), and in every object that
// decodes into a map, a key given twice. It descends through pointers, arrays, slices and map
// values; a map's keys are otherwise free (any spelling), and a type that decodes itself
// (json.Unmarshaler, encoding.TextUnmarshaler) or an interface is not looked into. Keys that match
// no field at all are left to the decoder (refused when it is strict, else ignored).
func Check(data []byte, t reflect.Type) error {
	return check(data, t, false)
}

// CheckKnown is Check that also refuses a key that matches no field of its struct, naming where
// it is (`"Foo" is not a field in InputDataConfig`), for bodies decoded strictly: the decoder's
// own error says only `json: unknown field "Foo"` (found from outside).
func CheckKnown(data []byte, t reflect.Type) error {
	return check(data, t, true)
}

func check(data []byte, t reflect.Type, known bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // a number is skipped, never converted (1e999 is no error here)
	return checkValue(dec, t, "", known)
}

// checkValue reads one value from dec as type t (nil: nothing to check inside it); path names it
// in messages ("" for the body, "InputDataConfig", "Tags[1]").
func checkValue(dec *json.Decoder, t reflect.Type, path string, known bool) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	t = DecodedType(t)
	if t == nil {
		// Nothing to check inside: read past the value without descending into it. Descending
		// built a path string per level, so a value nested 10,000 deep (as deep as the decoder
		// takes) cost about 150 MB of copying: 1 s of CPU for a 20 KB body, and 5 s for a 1 MiB
		// one of 50 such values (found from outside).
		return skipValue(dec)
	}
	switch d {
	case '[':
		var elem reflect.Type
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, elem, path+"["+strconv.Itoa(i)+"]", known); err != nil {
				return err
			}
		}
	case '{':
		var fields *structKeys
		var elem reflect.Type
		switch {
		case t.Kind() == reflect.Struct:
			fields = keysOf(t)
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		}
		var seen map[string]bool
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			var vt reflect.Type
			vpath := path
			switch {
			case fields != nil:
				ft, exact := fields.byName[key]
				if !exact {
					if want, ok := fields.fold(key); ok {
						return fmt.Errorf("%q is not a field%s; did you mean %q?", key, within(path), want)
					}
					if known {
						return fmt.Errorf("%q is not a field%s", key, within(path))
					}
					break // unknown: the decoder's to refuse or ignore
				}
				if seen[key] {
					return fmt.Errorf("%q is given twice%s", key, within(path))
				}
				if seen == nil {
					seen = make(map[string]bool, len(fields.byName))
				}
				seen[key] = true
				vt = ft
				vpath = joinPath(path, key)
			case elem != nil:
				// A map's key given twice is refused as a field's is (found from outside: a
				// configuration's "keys" listing one API key twice silently gave it the last
				// tenant).
				if seen[key] {
					return fmt.Errorf("%q is given twice%s", key, within(path))
				}
				if seen == nil {
					seen = make(map[string]bool)
				}
				seen[key] = true
				vt = elem
				vpath = path + "[" + strconv.Quote(key) + "]"
			}
			if err := checkValue(dec, vt, vpath, known); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing ']' or '}'
	return err
}

// skipValue reads the rest of a value whose opening '[' or '{' dec has just read.
func skipValue(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return nil
}

// within says where an object is, for a message: "" for the body, " in InputDataConfig".
func within(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// DecodedType is t without its pointers, or nil when there is nothing to check inside a value
// of t: no type, an interface, or a type that decodes itself.
func DecodedType(t reflect.Type) reflect.Type {
	if t == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		if t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) {
			return nil
		}
		t = t.Elem()
	}
	if t.Kind() == reflect.Interface {
		return nil
	}
	if pt := reflect.PointerTo(t); pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
		return nil
	}
	return t
}

// structKeys are the JSON keys of a struct type's fields, as encoding/json names them, with the
// type each one's value decodes into.
type structKeys struct {
	byName map[string]reflect.Type
	names  []string // byName's keys in field order, for a stable "did you mean"
}

// fold gives the field whose name equals key when case is ignored (as encoding/json folds).
func (k *structKeys) fold(key string) (string, bool) {
	for _, n := range k.names {
		if strings.EqualFold(n, key) {
			return n, true
		}
	}
	return "", false
}

var structKeysCache sync.Map // reflect.Type → *structKeys

// keysOf gives struct type t's keys, worked out once per type.
func keysOf(t reflect.Type) *structKeys {
	if k, ok := structKeysCache.Load(t); ok {
		return k.(*structKeys)
	}
	k := &structKeys{byName: map[string]reflect.Type{}}
	for _, f := range jsonFields(t) {
		k.byName[f.name] = f.typ
		k.names = append(k.names, f.name)
	}
	v, _ := structKeysCache.LoadOrStore(t, k)
	return v.(*structKeys)
}

type jsonField struct {
	name   string
	typ    reflect.Type
	depth  int
	tagged bool
}

// jsonFields lists the fields encoding/json decodes into a struct of type t: exported fields not
// tagged "-", named by their tag or Go name, with the fields of untagged embedded structs promoted
// (a shallower field hides a deeper one of the same name; of two at the same depth, the tagged one
// wins, and neither when both or neither are tagged).
func jsonFields(t reflect.Type) []jsonField {
	var all []jsonField
	var walk func(t reflect.Type, depth int, visited map[reflect.Type]bool)
	walk = func(t reflect.Type, depth int, visited map[reflect.Type]bool) {
		if visited[t] {
			return
		}
		visited[t] = true
		defer delete(visited, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			ft := sf.Type
			if sf.Anonymous {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !sf.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			tagged := name != ""
			if sf.Anonymous && !tagged && ft.Kind() == reflect.Struct {
				walk(ft, depth+1, visited)
				continue
			}
			if !tagged {
				name = sf.Name
			}
			all = append(all, jsonField{name: name, typ: sf.Type, depth: depth, tagged: tagged})
		}
	}
	walk(t, 0, map[reflect.Type]bool{})

	var out []jsonField
	for i, f := range all {
		dominant := true
		for j, g := range all {
			if i != j && g.name == f.name && (g.depth < f.depth || g.depth == f.depth && (g.tagged || !f.tagged)) {
				dominant = false
				break
			}
		}
		if dominant {
			out = append(out, f)
		}
	}
	return out
}
