package chaos

// Deterministic input generation: every round's jobs (formats, analyses, documents, stop plans)
// follow from the round's seed alone, so a failing round can be replayed with -seed.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"time"
)

// Input formats and the two ways an input reaches the service.
const (
	formatLine  = "ONE_DOC_PER_LINE"
	formatJSONL = "JSONL"
	formatFile  = "ONE_DOC_PER_FILE"

	modeUpload = "upload" // presigned PUT(s) after create
	modeDrop   = "drop"   // written into <data>/objects/inputs/local/… and named by S3Uri
)

// fileDoc is one document of a ONE_DOC_PER_FILE input.
type fileDoc struct {
	Name string
	Data []byte
}

// stopPlan says when a job is asked to stop.
type stopPlan struct {
	// Kind is "early" (right after create: often before the input arrives), "progress" (once
	// Fraction of the shards are done) or "late" (Delay after the input is in).
	Kind     string
	Fraction float64
	Delay    time.Duration
}

// jobSpec is one job of a round, fully determined by the round's seed.
type jobSpec struct {
	Index        int
	Name         string
	Token        string
	Format       string
	Mode         string
	Analyses     []string
	LanguageCode string
	Data         []byte    // line formats
	Files        []fileDoc // ONE_DOC_PER_FILE, sorted by name
	Docs         int       // documents the input holds
	Stop         *stopPlan
	UploadTime   time.Duration // how long the throttled upload takes
	// Kind is "" for the per-document analyses, kindTopics or kindCoding (see kinds.go).
	Kind      string
	NumTopics int      // TOPICS: NumberOfTopics
	TopicSeed int64    // TOPICS: RandomSeed (the round's seed)
	RecordIDs []string // coding: the recordId each input line carries ("" when none)
	// TrainingSource is where a training job's titles come from: "tsv" (the coding index) or
	// "generated".
	TrainingSource string
}

// genLimits bound what a round generates.
type genLimits struct {
	MinDocs, MaxDocs int // documents per line job
	MaxFiles         int // documents per ONE_DOC_PER_FILE job
	MaxJobs          int
	StopRate         float64 // probability that a round stops one of its jobs
}

// genJobs draws a round's jobs.
func genJobs(rng *rand.Rand, round int, seed int64, lim genLimits) []*jobSpec {
	n := 1 + rng.Intn(max(1, lim.MaxJobs))
	specs := make([]*jobSpec, n)
	for i := range specs {
		s := &jobSpec{Index: i}
		s.Name = fmt.Sprintf("chaos r%d j%d", round, i)
		s.Token = fmt.Sprintf("chaos-%d-r%d-j%d", seed, round, i)
		// About one job in five is a TOPICS job, one in five a coding operation, one in twelve
		// a coding training job.
		if k := rng.Float64(); k < 0.48 {
			kind := kindTopics
			switch {
			case k >= 0.4:
				kind = kindTraining
			case k >= 0.2:
				kind = kindCoding
			}
			genKindSpec(rng, s, kind, seed, lim)
			specs[i] = s
			continue
		}
		switch x := rng.Float64(); {
		case x < 0.4:
			s.Format = formatLine
		case x < 0.7:
			s.Format = formatJSONL
		default:
			s.Format = formatFile
		}
		s.Mode = modeUpload
		if rng.Float64() < 0.3 {
			s.Mode = modeDrop
		}
		s.Analyses, s.LanguageCode = pickAnalyses(rng)
		docs := lim.MinDocs + rng.Intn(max(1, lim.MaxDocs-lim.MinDocs+1))
		if heavy(s.Analyses) {
			docs = max(lim.MinDocs/2, docs/4) // the slow analysers get smaller inputs
		}
		switch s.Format {
		case formatLine:
			s.Data = genLines(rng, docs, s.Analyses)
		case formatJSONL:
			s.Data = genJSONL(rng, docs)
		case formatFile:
			maxFiles := lim.MaxFiles
			if s.Mode == modeUpload {
				maxFiles = min(maxFiles, 400) // one PUT each; the API allows 1,000
			}
			s.Files = genFiles(rng, 10+rng.Intn(max(1, maxFiles-9)))
		}
		if s.Format == formatFile {
			s.Docs = len(s.Files)
		} else {
			s.Docs = len(splitDocs(s.Data))
		}
		s.UploadTime = time.Duration(150+rng.Intn(1200)) * time.Millisecond
		specs[i] = s
	}
	if rng.Float64() < lim.StopRate {
		s := specs[rng.Intn(len(specs))]
		if s.Kind == kindCoding {
			return specs // the coding API has no stop
		}
		switch x := rng.Float64(); {
		case x < 0.25:
			s.Stop = &stopPlan{Kind: "early", Delay: time.Duration(rng.Intn(300)) * time.Millisecond}
		case x < 0.8:
			s.Stop = &stopPlan{Kind: "progress", Fraction: 0.05 + 0.8*rng.Float64()}
		default:
			s.Stop = &stopPlan{Kind: "late", Delay: time.Duration(rng.Intn(2500)) * time.Millisecond}
		}
	}
	return specs
}

func heavy(analyses []string) bool {
	for _, a := range analyses {
		if a == "PII" || a == "ENTITIES" || a == "KEY_PHRASES" {
			return true
		}
	}
	return false
}

func pickAnalyses(rng *rand.Rand) ([]string, string) {
	var a []string
	switch x := rng.Float64(); {
	case x < 0.5:
		a = []string{"LANGUAGE", "SENTIMENT"}
	case x < 0.62:
		a = []string{"LANGUAGE"}
	case x < 0.72:
		a = []string{"SENTIMENT"}
	case x < 0.82:
		a = []string{"LANGUAGE", "SENTIMENT", "PII"}
	case x < 0.9:
		a = []string{"ENTITIES", "KEY_PHRASES"}
	default:
		a = []string{"PII"}
	}
	lang := ""
	if rng.Float64() < 0.15 {
		lang = "en"
	}
	return a, lang
}

// Sentences in several languages; documents are built from them with a unique suffix, so no
// two documents are alike and a record moved to another line cannot go unnoticed.
var sentences = map[string][]string{
	"en": {
		"I really love this phone, the screen is bright and the battery lasts all day",
		"The delivery was late and the box was damaged, which made me very unhappy",
		"This restaurant serves wonderful food and the staff are always friendly",
		"The hotel room was clean and quiet, and breakfast was excellent",
		"I would not recommend this product because it stopped working after a week",
		"The meeting with the board of directors has been moved to next Tuesday in London",
		"Honestly the film was boring, far too long and the ending made no sense",
		"Customer support answered quickly and solved my problem in five minutes",
	},
	"fr": {
		"Le service était excellent et le personnel très aimable avec les enfants",
		"Je ne recommande pas cet hôtel, la chambre était sale et bruyante",
		"La livraison a été rapide mais le produit ne correspond pas à la description",
		"Nous avons passé une soirée magnifique dans ce petit restaurant du quartier",
	},
	"de": {
		"Das Essen war hervorragend und die Bedienung sehr freundlich",
		"Leider kam die Lieferung zu spät und die Verpackung war beschädigt",
		"Ich bin mit dem Kauf sehr zufrieden und würde das Gerät wieder kaufen",
		"Die Zugverbindung zwischen München und Berlin war heute wieder völlig überfüllt",
	},
	"es": {
		"La comida estaba deliciosa y el camarero fue muy amable con nosotros",
		"El paquete llegó roto y nadie respondió a mis correos electrónicos",
		"Me encanta esta ciudad, sus calles y sus mercados llenos de vida",
		"No volveremos a este hotel porque la habitación olía a humedad",
	},
	"it": {
		"Il ristorante era accogliente e la pizza era davvero ottima",
		"Purtroppo il treno è arrivato con due ore di ritardo",
		"Questo libro mi è piaciuto moltissimo, lo consiglio a tutti",
	},
	"pt": {
		"O atendimento foi excelente e a comida chegou quente e saborosa",
		"Não gostei do produto, a qualidade é muito inferior ao esperado",
		"A praia estava linda e a água muito limpa durante toda a semana",
	},
	"nl": {
		"Het eten was heerlijk en de bediening was erg vriendelijk",
		"De levering duurde veel te lang en niemand nam de telefoon op",
	},
	"ru": {
		"Мне очень понравился этот отель, персонал был вежливым и внимательным",
		"Доставка задержалась на неделю, и коробка пришла повреждённой",
	},
	"el": {"Το φαγητό ήταν εξαιρετικό και η εξυπηρέτηση πολύ γρήγορη"},
	"ja": {"このホテルはとても快適で、スタッフも親切でした"},
}

var langs = func() []string {
	var l []string
	for k := range sentences {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}()

// piiSnippets are appended to some English documents so PII jobs find something.
var piiSnippets = []string{
	"contact me at jane.doe%d@example.com",
	"call me on (555) 201-%04d",
	"my card 4111 1111 1111 1111 was charged twice (ref %d)",
	"the server at 10.0.%d.17 is down",
	"ship it to 42 Elm Street, Springfield (order %d)",
}

// sentence draws a readable document: mostly English, often another language.
func sentence(rng *rand.Rand, i int) string {
	lang := "en"
	if rng.Float64() < 0.45 {
		lang = langs[rng.Intn(len(langs))]
	}
	ss := sentences[lang]
	s := ss[rng.Intn(len(ss))]
	if rng.Float64() < 0.3 {
		s += ", " + strings.ToLower(ss[rng.Intn(len(ss))][:1]) + ss[rng.Intn(len(ss))][1:]
	}
	if lang == "en" && rng.Float64() < 0.15 {
		s += " and " + fmt.Sprintf(piiSnippets[rng.Intn(len(piiSnippets))], i%10000)
	}
	return fmt.Sprintf("%s (doc %d)", s, i)
}

// longText is an English text of about n bytes (no line terminators).
func longText(rng *rand.Rand, n int, i int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(sentences["en"][rng.Intn(len(sentences["en"]))])
		b.WriteString(". ")
	}
	fmt.Fprintf(&b, "(long doc %d)", i)
	return b.String()
}

// badLine returns a document that the service must turn into an error record (or accept in an
// unusual form), or "" with ok false for an ordinary document.
func badLine(rng *rand.Rand, i int, hugeLeft *int) (string, bool) {
	x := rng.Float64()
	switch {
	case x < 0.012:
		return "", true // empty
	case x < 0.02:
		return " \t  ", true // whitespace only
	case x < 0.032:
		return fmt.Sprintf("Caf\xe9 cr\xe8me br\xfbl\xe9e, line %d", i), true // Latin-1
	case x < 0.037:
		return fmt.Sprintf("valid start then \xff\xfe garbage %d", i), true
	case x < 0.04:
		return fmt.Sprintf("U\x00T\x00F\x00-16 %d", i), true // NUL bytes
	case x < 0.047:
		return fmt.Sprintf("%d 555 1234 %d", i, i*7), true // digits only: no language
	case x < 0.05:
		return "🙂🙂🙂 👍", true
	case x < 0.056:
		return longText(rng, 5500+rng.Intn(7000), i), true // over SENTIMENT's 5,000 bytes
	case x < 0.057 && *hugeLeft > 0:
		*hugeLeft--
		return longText(rng, 100_500+rng.Intn(20_000), i), true // over every limit
	}
	return "", false
}

// genLines builds a ONE_DOC_PER_LINE input of n documents with LF, CRLF and lone CR
// terminators, bad lines, sometimes a BOM and sometimes no terminator after the last line.
func genLines(rng *rand.Rand, n int, analyses []string) []byte {
	var b bytes.Buffer
	if rng.Float64() < 0.1 {
		b.WriteString("\ufeff")
	}
	huge := 0
	if rng.Float64() < 0.3 {
		huge = 1
	}
	docs := make([]string, n)
	for i := range docs {
		if s, ok := badLine(rng, i, &huge); ok && i < n-1 {
			docs[i] = s
		} else {
			// The last document is an ordinary one: an empty last line without a
			// terminator would not be a document at all.
			docs[i] = sentence(rng, i)
		}
	}
	lastTerm := rng.Float64() < 0.5
	for i, d := range docs {
		b.WriteString(d)
		if i == n-1 && !lastTerm {
			break
		}
		switch x := rng.Float64(); {
		case x < 0.1:
			b.WriteString("\r\n")
		case x < 0.13 && i+1 < n && docs[i+1] != "":
			// A lone CR ends a line too; never before an empty line, where it would pair with
			// that line's LF into one CRLF.
			b.WriteString("\r")
		default:
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

// genJSONL builds a JSONL input of n records, some of them malformed.
func genJSONL(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	huge := 0
	if rng.Float64() < 0.25 {
		huge = 1
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			if rng.Float64() < 0.08 {
				b.WriteString("\r\n")
			} else {
				b.WriteString("\n")
			}
		}
		text := sentence(rng, i)
		x := rng.Float64()
		if i == n-1 {
			x = 1 // the last record is an ordinary one (an empty last line is no document)
		}
		switch {
		case x < 0.01:
			// empty line
		case x < 0.016:
			b.WriteString("   ")
		case x < 0.024:
			fmt.Fprintf(&b, `{"recordId":"broken-%d","text":"unterminated`, i)
		case x < 0.028:
			b.WriteString(`[1,2,3]`)
		case x < 0.032:
			fmt.Fprintf(&b, `{"recordId":"num-%d","text":%d}`, i, i)
		case x < 0.036:
			fmt.Fprintf(&b, `{"recordId":"missing-%d"}`, i)
		case x < 0.04:
			fmt.Fprintf(&b, `{"recordId":true,"text":"a boolean id %d"}`, i)
		case x < 0.046:
			fmt.Fprintf(&b, `{"recordId":"latin1-%d","text":"caf\xe9 cr\xe8me %d"}`, i, i)
		case x < 0.05:
			fmt.Fprintf(&b, `{"recordId":"blank-%d","text":"  \t "}`, i)
		case x < 0.055:
			fmt.Fprintf(&b, `{"recordId":"long-%d","text":%s}`, i, jsonString(longText(rng, 5500+rng.Intn(6000), i)))
		case x < 0.056 && huge > 0:
			huge--
			fmt.Fprintf(&b, `{"recordId":"huge-%d","text":%s}`, i, jsonString(longText(rng, 100_500+rng.Intn(20_000), i)))
		case x < 0.3:
			fmt.Fprintf(&b, `{"recordId":%d,"text":%s}`, 100000+i, jsonString(text))
		case x < 0.4:
			fmt.Fprintf(&b, `{"text":%s}`, jsonString(text))
		case x < 0.45:
			fmt.Fprintf(&b, `{"text":%s,"recordId":"late-%d","extra":{"k":[1,2]}}`, jsonString(text), i)
		default:
			fmt.Fprintf(&b, `{"recordId":"r-%d","text":%s}`, i, jsonString(text))
		}
	}
	if rng.Float64() < 0.5 {
		b.WriteString("\n")
	}
	return b.Bytes()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string: cannot fail
	return string(b)
}

// genFiles builds a ONE_DOC_PER_FILE input of n documents: names in a few folders (never a
// name that is also a folder), contents of one or several lines, and bad files.
func genFiles(rng *rand.Rand, n int) []fileDoc {
	dirs := []string{"reviews", "reviews/2026", "mail", "notes/café", "misc"}
	files := make([]fileDoc, 0, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s/doc-%05d.txt", dirs[rng.Intn(len(dirs))], i)
		var data []byte
		switch x := rng.Float64(); {
		case x < 0.03:
			data = nil // empty file
		case x < 0.05:
			data = []byte(" \n\t\n")
		case x < 0.08:
			data = []byte(fmt.Sprintf("Caf\xe9 cr\xe8me %d\n", i))
		case x < 0.1:
			data = []byte("\xff\xfeH\x00i\x00") // UTF-16LE with its BOM
		case x < 0.13:
			data = []byte("\ufeff" + sentence(rng, i)) // UTF-8 BOM is stripped
		case x < 0.16:
			data = []byte(longText(rng, 5500+rng.Intn(5000), i))
		case x < 0.35:
			// several lines: still one document
			data = []byte(sentence(rng, i) + "\n" + sentence(rng, i+1_000_000) + "\r\n" + sentence(rng, i+2_000_000) + "\n")
		default:
			data = []byte(sentence(rng, i))
		}
		files = append(files, fileDoc{Name: name, Data: data})
	}
	sort.Slice(files, func(a, b int) bool { return files[a].Name < files[b].Name })
	return files
}

// lineDoc is one document of a line input, as the input format defines it.
type lineDoc struct {
	Start int64 // byte offset where the document's line starts
	Text  []byte
}

// splitDocs cuts a line input into documents: LF, CR and CRLF end a line; a terminator at the
// very end does not start an extra document; a leading BOM belongs to no document's text but
// the first document still starts at offset 0.
func splitDocs(b []byte) []lineDoc {
	var docs []lineDoc
	i := 0
	if bytes.HasPrefix(b, []byte("\ufeff")) {
		i = 3
	}
	start, textStart := 0, i
	for i < len(b) {
		switch b[i] {
		case '\n', '\r':
			docs = append(docs, lineDoc{Start: int64(start), Text: b[textStart:i]})
			if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			i++
			start, textStart = i, i
		default:
			i++
		}
	}
	if start < len(b) {
		docs = append(docs, lineDoc{Start: int64(start), Text: b[textStart:]})
	}
	return docs
}
