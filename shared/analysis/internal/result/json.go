package result

import (
	"strconv"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/internal/jsonw"
)

// AppendJSON appends r's JSON object to dst without reflection. The bytes are exactly those
// json.NewEncoder(w).Encode(r) writes with SetEscapeHTML(false), minus the trailing newline:
// the key order and presence rules of MarshalJSON, encoding/json's float and string rendering,
// and — because MarshalJSON has always encoded each field with json.Marshal, whose HTML
// escaping the Encoder's setting does not undo — '<', '>' and '&' in strings escaped as
// \u003c, \u003e and \u0026.
//
// A NaN or infinite score is not JSON: AppendJSON then returns dst unchanged and an
// *json.UnsupportedValueError, as encoding/json does.
func (r *Result) AppendJSON(dst []byte) ([]byte, error) {
	orig := len(dst)
	dst = append(dst, '{')
	var err error
	if r.Languages != nil {
		dst = appendKey(dst, orig, "Languages")
		if dst, err = appendLanguages(dst, r.Languages); err != nil {
			return dst[:orig], err
		}
	}
	if r.Sentiment != "" {
		dst = appendKey(dst, orig, "Sentiment")
		dst = appendString(dst, r.Sentiment)
	}
	if r.SentimentScore != nil {
		dst = appendKey(dst, orig, "SentimentScore")
		if dst, err = appendSentimentScore(dst, r.SentimentScore); err != nil {
			return dst[:orig], err
		}
	}
	if r.Entities != nil {
		dst = appendKey(dst, orig, "Entities")
		if dst, err = appendEntities(dst, r.Entities); err != nil {
			return dst[:orig], err
		}
	}
	if r.KeyPhrases != nil {
		dst = appendKey(dst, orig, "KeyPhrases")
		if dst, err = appendKeyPhrases(dst, r.KeyPhrases); err != nil {
			return dst[:orig], err
		}
	}
	if r.PiiEntities != nil {
		if r.Entities == nil {
			dst = appendKey(dst, orig, "Entities")
		} else {
			dst = appendKey(dst, orig, "PiiEntities")
		}
		if dst, err = appendPiiEntities(dst, r.PiiEntities); err != nil {
			return dst[:orig], err
		}
	}
	if r.Coding != nil {
		dst = appendKey(dst, orig, "Coding")
		if dst, err = appendCoding(dst, r.Coding); err != nil {
			return dst[:orig], err
		}
	}
	return append(dst, '}'), nil
}

// appendKey appends "name": to the object that starts at dst[start], after a comma unless it
// is the object's first key.
func appendKey(dst []byte, start int, name string) []byte {
	if len(dst) > start+1 {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

// appendString renders a string field as json.Marshal does (HTML escaping on).
func appendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s, true) }

func appendFloat(dst []byte, f float64) ([]byte, error) { return jsonw.AppendFloat(dst, f, 64) }

func appendLanguages(dst []byte, ls []DominantLanguage) ([]byte, error) {
	dst = append(dst, '[')
	var err error
	for i := range ls {
		l := &ls[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"LanguageCode":`...)
		dst = appendString(dst, l.LanguageCode)
		dst = append(dst, `,"Score":`...)
		if dst, err = appendFloat(dst, l.Score); err != nil {
			return dst, err
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

func appendSentimentScore(dst []byte, s *SentimentScore) ([]byte, error) {
	var err error
	dst = append(dst, `{"Positive":`...)
	if dst, err = appendFloat(dst, s.Positive); err != nil {
		return dst, err
	}
	dst = append(dst, `,"Negative":`...)
	if dst, err = appendFloat(dst, s.Negative); err != nil {
		return dst, err
	}
	dst = append(dst, `,"Neutral":`...)
	if dst, err = appendFloat(dst, s.Neutral); err != nil {
		return dst, err
	}
	dst = append(dst, `,"Mixed":`...)
	if dst, err = appendFloat(dst, s.Mixed); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// appendSpan writes the fields common to Entity, KeyPhrase and PiiEntity, opening the object.
func appendSpan(dst []byte, begin, end int, score float64) ([]byte, error) {
	dst = append(dst, `{"BeginOffset":`...)
	dst = strconv.AppendInt(dst, int64(begin), 10)
	dst = append(dst, `,"EndOffset":`...)
	dst = strconv.AppendInt(dst, int64(end), 10)
	dst = append(dst, `,"Score":`...)
	return appendFloat(dst, score)
}

func appendEntities(dst []byte, es []Entity) ([]byte, error) {
	dst = append(dst, '[')
	var err error
	for i := range es {
		e := &es[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendSpan(dst, e.BeginOffset, e.EndOffset, e.Score); err != nil {
			return dst, err
		}
		dst = append(dst, `,"Text":`...)
		dst = appendString(dst, e.Text)
		dst = append(dst, `,"Type":`...)
		dst = appendString(dst, e.Type)
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

func appendKeyPhrases(dst []byte, ks []KeyPhrase) ([]byte, error) {
	dst = append(dst, '[')
	var err error
	for i := range ks {
		k := &ks[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendSpan(dst, k.BeginOffset, k.EndOffset, k.Score); err != nil {
			return dst, err
		}
		dst = append(dst, `,"Text":`...)
		dst = appendString(dst, k.Text)
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

func appendPiiEntities(dst []byte, ps []PiiEntity) ([]byte, error) {
	dst = append(dst, '[')
	var err error
	for i := range ps {
		p := &ps[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendSpan(dst, p.BeginOffset, p.EndOffset, p.Score); err != nil {
			return dst, err
		}
		dst = append(dst, `,"Type":`...)
		dst = appendString(dst, p.Type)
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

func appendCodeResult(dst []byte, c *api.CodeResult) ([]byte, error) {
	dst = append(dst, `{"codeCategory":`...)
	dst = appendString(dst, c.CodeCategory)
	dst = append(dst, `,"codeLabel":`...)
	dst = appendString(dst, c.CodeLabel)
	dst = append(dst, `,"codeConfidence":`...)
	dst, err := appendFloat(dst, c.CodeConfidence)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// appendCoding renders api.Coding by its struct tags: "result" omitted when nil, "suggestions"
// always present (null when nil).
func appendCoding(dst []byte, c *api.Coding) ([]byte, error) {
	var err error
	dst = append(dst, '{')
	if c.Result != nil {
		dst = append(dst, `"result":`...)
		if dst, err = appendCodeResult(dst, c.Result); err != nil {
			return dst, err
		}
		dst = append(dst, ',')
	}
	dst = append(dst, `"suggestions":`...)
	if c.Suggestions == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range c.Suggestions {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendCodeResult(dst, &c.Suggestions[i]); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), nil
}
