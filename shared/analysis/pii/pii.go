package pii

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/ream-dev/ream/shared/analysis/entities"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
	"github.com/ream-dev/ream/shared/job"
)

// DefaultMaxBytes is the PII per-document size limit (Comprehend's 100 KB).
const DefaultMaxBytes = 100000

// PII entity types, as Comprehend spells them.
const (
	Email             = "EMAIL"
	Phone             = "PHONE"
	CreditDebitNumber = "CREDIT_DEBIT_NUMBER"
	CreditDebitCVV    = "CREDIT_DEBIT_CVV"
	CreditDebitExpiry = "CREDIT_DEBIT_EXPIRY"
	BankAccountNumber = "BANK_ACCOUNT_NUMBER"
	BankRouting       = "BANK_ROUTING"
	IBAN              = "INTERNATIONAL_BANK_ACCOUNT_NUMBER"
	SSN               = "SSN"
	IPAddress         = "IP_ADDRESS"
	MACAddress        = "MAC_ADDRESS"
	URL               = "URL"
	Name              = "NAME"
	Address           = "ADDRESS"
	DateTime          = "DATE_TIME"
	AWSAccessKey      = "AWS_ACCESS_KEY"
	AWSSecretKey      = "AWS_SECRET_KEY"
	Password          = "PASSWORD"
	Username          = "USERNAME"
	PIN               = "PIN"
)

// Types lists every type the PII analyser can report.
var Types = []string{
	Address, AWSAccessKey, AWSSecretKey, BankAccountNumber, BankRouting,
	CreditDebitCVV, CreditDebitExpiry, CreditDebitNumber, DateTime, Email,
	IBAN, IPAddress, MACAddress, Name, Password, Phone, PIN, SSN,
	URL, Username,
	UKNationalInsurance, UKNHS, USITIN, CASIN, INPAN, INAadhaar, SwiftCode, VIN,
	Age, PassportNumber, DriverID, LicensePlate,
}

// Undetected lists the PII types Comprehend names that this analyser does not detect (national
// identifiers of other countries, documents and vehicles it has no rules for). A redaction
// may name them, as code written for Comprehend does; they are simply never found.
var Undetected = []string{
	"CA_HEALTH_NUMBER", "IN_NREGA", "IN_VOTER_NUMBER", "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
}

// priority orders types for partial overlaps: higher wins.
var priority = map[string]int{
	CreditDebitNumber: 100, IBAN: 98, BankRouting: 96, AWSAccessKey: 95,
	AWSSecretKey: 94, Email: 92, URL: 90, MACAddress: 89, IPAddress: 88,
	SSN: 86, USITIN: 86, CASIN: 85, UKNHS: 85, INAadhaar: 85, UKNationalInsurance: 85, INPAN: 85,
	VIN: 85, SwiftCode: 85, PassportNumber: 84, DriverID: 84, LicensePlate: 84, Phone: 84, CreditDebitCVV: 80, CreditDebitExpiry: 80, Password: 78,
	Username: 77, PIN: 76, BankAccountNumber: 74, DateTime: 60, Age: 58, Address: 55,
	Name: 50,
}

// Config configures the PII analyser.
type Config struct {
	// MaxBytes is the per-document size limit; 0 means DefaultMaxBytes.
	MaxBytes int
	// LanguageCode, when set, is the language every document is declared to be in; anything
	// but English ("en", "en-XX") makes every document a DocError UNSUPPORTED_LANGUAGE, as
	// does a non-English Options.LanguageCode.
	LanguageCode string
	// Types, when non-empty, restricts the output to these types (Comprehend's
	// PiiEntityTypes); unknown names are an ErrInvalid error.
	Types []string
}

// Analyzer finds PII spans with rules and validators; see the package documentation. It
// holds only read-only tables after construction and is safe for concurrent use.
type Analyzer struct {
	maxBytes int
	lang     string
	types    map[string]bool // nil: all
	// persons is the ENTITIES analyser, whose PERSON spans (its sequence model trained on
	// CoNLL-2003 news, and its rules) are NAME candidates beside the name rules: the rules alone
	// found 38 % of the person names of the CoNLL-2003 held-out news ("Barack Obama", lone
	// surnames); nil when NAME is not asked for.
	persons *entities.Analyzer
}

// New builds the PII analyser.
func New(cfg Config) (*Analyzer, error) {
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBytes", job.ErrInvalid)
	}
	a := &Analyzer{maxBytes: cfg.MaxBytes, lang: cfg.LanguageCode}
	if a.maxBytes == 0 {
		a.maxBytes = DefaultMaxBytes
	}
	if len(cfg.Types) > 0 {
		a.types = map[string]bool{}
		for _, t := range cfg.Types {
			if _, ok := priority[t]; !ok {
				return nil, fmt.Errorf("%w: unknown PII entity type %q", job.ErrInvalid, t)
			}
			a.types[t] = true
		}
	}
	if a.types == nil || a.types[Name] {
		p, err := personFinder()
		if err != nil {
			return nil, fmt.Errorf("pii: person names: %w", err)
		}
		a.persons = p
	}
	return a, nil
}

var (
	personsOnce sync.Once
	persons     *entities.Analyzer
	personsErr  error
)

// personFinder is the ENTITIES analyser every PII analyser shares for its person names, built
// once per process (safe for concurrent use): a redaction restricted to some types builds a
// PII analyser per shard (analysis.PiiDetector), and building the ENTITIES analyser reads its
// gazetteers (about 0.4 ms and 5,000 allocations each time).
func personFinder() (*entities.Analyzer, error) {
	personsOnce.Do(func() { persons, personsErr = entities.New(entities.Config{}) })
	return persons, personsErr
}

// Name implements Analyzer.
func (a *Analyzer) Name() job.Analysis { return job.PII }

// ModelVersion implements Analyzer.
func (a *Analyzer) ModelVersion() string { return "ream-pii-rules-2+entities" }

// DefaultMaxBytes implements Analyzer.
func (a *Analyzer) DefaultMaxBytes() int { return a.maxBytes }

// Analyze implements Analyzer.
func (a *Analyzer) Analyze(text string, opts result.Options, into *result.Result) error {
	if err := txt.CheckEnglish(job.PII, opts.LanguageCode, false); err != nil {
		return err
	}
	if err := txt.CheckEnglish(job.PII, a.lang, false); err != nil {
		return err
	}
	if len(text) > a.maxBytes {
		return &result.DocError{Code: job.CodeDocumentSizeExceeded, Message: fmt.Sprintf("document is %d bytes, over the PII limit of %d", len(text), a.maxBytes)}
	}
	var persons *result.Persons
	into.PiiEntities, persons = a.DetectWith(text, opts.Persons)
	if persons != nil {
		into.Persons = persons
	}
	return nil
}

// Detect returns the PII spans of text (offsets in characters), sorted, non-overlapping, never
// nil. Text not in NFC is read in NFC, with the spans mapped back to text's characters.
func (a *Analyzer) Detect(text string) []result.PiiEntity {
	out, _ := a.DetectWith(text, nil)
	return out
}

// DetectWith is Detect taking NAME's person spans from persons, the document's as the ENTITIES
// analyser found them before (Result.Persons), when they are (see entities.Analyzer.Persons;
// otherwise it runs that analyser itself): the spans are the same either way. It also returns
// the person spans it used, to hand on; nil when it needed none (NAME not asked for, or no
// upper-case letter in text).
func (a *Analyzer) DetectWith(text string, persons *result.Persons) ([]result.PiiEntity, *result.Persons) {
	text, m := txt.NFC(text)
	out, persons := a.detect(text, persons)
	m.PiiEntities(out)
	return out, persons
}

func (a *Analyzer) detect(text string, persons *result.Persons) ([]result.PiiEntity, *result.Persons) {
	var d detector
	d.text = text
	d.run()
	if a.persons != nil && strings.IndexFunc(text, unicode.IsUpper) >= 0 {
		// (text without an upper-case letter has no names for the model to find)
		persons = a.persons.Persons(text, persons)
		d.personNames(persons.Spans)
	} else {
		persons = nil
	}
	cands := d.cands
	if a.types != nil {
		// Only the types asked for compete: a span of another type (a URL, a name) does not
		// hide one of them inside it (an email in a URL's query, an IP in a URL).
		kept := cands[:0]
		for _, c := range cands {
			if a.types[c.typ] {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	cands = resolve(cands)
	out := make([]result.PiiEntity, 0, len(cands))
	// Spans are sorted and disjoint, so one forward walk converts byte offsets to characters.
	pos, chars := 0, 0
	for _, c := range cands {
		chars += txt.RuneCount(text[pos:c.s])
		b := chars
		chars += txt.RuneCount(text[c.s:c.e])
		pos = c.e
		out = append(out, result.PiiEntity{BeginOffset: b, EndOffset: chars, Score: c.score, Type: c.typ})
	}
	return out, persons
}

// candidate is a candidate span in bytes.
type candidate struct {
	s, e  int
	typ   string
	score float64
}

// resolve drops candidates contained in a longer one (or in an equal span of a
// higher-priority type), then settles partial overlaps by priority, and sorts by start.
func resolve(cands []candidate) []candidate {
	if len(cands) == 0 {
		return cands
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.s != b.s {
			return a.s < b.s
		}
		if a.e != b.e {
			return a.e > b.e
		}
		if pa, pb := priority[a.typ], priority[b.typ]; pa != pb {
			return pa > pb
		}
		return a.score > b.score // equal spans of one type (two rules found it): the higher score, whichever ran first
	})
	// Containment: after the sort, a container precedes what it contains.
	kept := cands[:0:0]
	maxEnd, maxIdx := -1, -1
	for _, c := range cands {
		if maxIdx >= 0 && c.e <= maxEnd {
			continue // inside the span that reaches furthest so far (which starts no later)
		}
		kept = append(kept, c)
		if c.e > maxEnd {
			maxEnd, maxIdx = c.e, len(kept)-1
		}
	}
	// Partial overlaps: greedy by priority, then length.
	order := make([]int, len(kept))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := kept[order[i]], kept[order[j]]
		pa, pb := priority[a.typ], priority[b.typ]
		if pa != pb {
			return pa > pb
		}
		return a.e-a.s > b.e-b.s
	})
	take := make([]bool, len(kept))
	for _, i := range order {
		c := kept[i]
		ok := true
		// kept is sorted by start, and after the containment pass by end too: only neighbours
		// can overlap, and the walk back stops at the first span that ends before c (it was
		// quadratic in the spans: "age: 5 " repeated over 100 KB took 71 ms; found in review).
		for j := i - 1; j >= 0 && kept[j].e > c.s && ok; j-- {
			if take[j] {
				ok = false
			}
		}
		for j := i + 1; j < len(kept) && kept[j].s < c.e && ok; j++ {
			if take[j] {
				ok = false
			}
		}
		take[i] = ok
	}
	out := kept[:0]
	for i, c := range kept {
		if take[i] {
			out = append(out, c)
		}
	}
	return out
}
