package coding

import (
	"reflect"
	"strings"
	"testing"
)

func TestStripMarkup(t *testing.T) {
	for in, want := range map[string]string{
		"lorry driver&#39;s mate":                 "lorry driver's mate",
		"driver&#x2019;s mate":                    "driver’s mate",
		"health &amp; safety officer":             "health & safety officer",
		"staff&nbsp;nurse":                        "staff\u00a0nurse",
		"<p>teacher</p>":                          " teacher ",
		"nurse<br>carer<BR/>":                     "nurse carer ",
		`<span style="color:red">cook</span>`:     " cook ",
		"&lt;p&gt;teacher":                        "<p>teacher", // decoded once, not read again as a tag
		"nurse&paramedic, R&D, B&Q, M&S;":         "nurse&paramedic, R&D, B&Q, M&S;",
		"nurse <band 5>, a < b > c, <x>, <p":      "nurse <band 5>, a < b > c, <x>, <p",
		"&unknown; &; & amp; &#;":                 "&unknown; &; & amp; &#;",
		"&copyright; &notice; &ampersand; &semi;": "&copyright; &notice; &ampersand; ;", // no name's prefix decoded
		"plain title, no markup":                  "plain title, no markup",
		"<blockquote>cook</blockquote>":           " cook ",
		"<blockquotes>cook":                       "<blockquotes>cook",
		"<" + strings.Repeat("p", 600) + ">cook":  "<" + strings.Repeat("p", 600) + ">cook",
		"<pre>manager <b>retail</b> &amp; hr<":    " manager  retail  & hr<",
	} {
		if got := stripMarkup(in); got != want {
			t.Errorf("stripMarkup(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkupAnswersCodeAsShown: answers exported from a web survey tool with HTML character
// references or tags get the decision of the answer as a browser shows it. Before, the
// references' and tags' names were words: "<p>teacher</p>" was not coded (first suggestion
// 811), "lorry driver&#39;s mate" lost its 926 code.
func TestMarkupAnswersCodeAsShown(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for shown, marked := range map[string][]string{
		"teacher":                 {"<p>teacher</p>", "teacher<br/>", "<b>teacher</b>"},
		"lorry driver's mate":     {"lorry driver&#39;s mate", "lorry driver&#x27;s mate"},
		"health & safety officer": {"health &amp; safety officer"},
		"staff nurse":             {"staff&nbsp;nurse", "<p>staff nurse</p>"},
		"cook":                    {`<span class="answer">cook</span>`},
	} {
		want := m.Code(shown, "")
		for _, s := range marked {
			if got := m.Code(s, ""); !reflect.DeepEqual(got, want) {
				t.Errorf("Code(%q) = %+v, want Code(%q)'s %+v", s, got, shown, want)
			}
		}
	}
}
