package sentiment

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
	"github.com/ream-dev/ream/shared/job"
)

func newSentiment(t testing.TB) *Analyzer {
	t.Helper()
	a, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func checkScore(t testing.TB, text string, res result.Result) {
	t.Helper()
	s := res.SentimentScore
	if s == nil {
		t.Fatalf("%q: no SentimentScore", text)
	}
	sum := s.Positive + s.Negative + s.Neutral + s.Mixed
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("%q: scores sum to %v", text, sum)
	}
	best, label := -1.0, ""
	for _, c := range []struct {
		l string
		v float64
	}{{Positive, s.Positive}, {Negative, s.Negative}, {Neutral, s.Neutral}, {Mixed, s.Mixed}} {
		if c.v <= 0 || c.v >= 1 {
			t.Errorf("%q: %s score %v outside (0,1)", text, c.l, c.v)
		}
		if c.v > best {
			best, label = c.v, c.l
		}
	}
	if label != res.Sentiment {
		t.Errorf("%q: label %s but highest score is %s (%+v)", text, res.Sentiment, label, *s)
	}
}

// TestSentimentLabelled measures accuracy on the hand-written set in testdata.
func TestSentimentLabelled(t *testing.T) {
	a := newSentiment(t)
	rows := evaltest.ReadTSV(t, filepath.Join("testdata", "sentiment-labelled.tsv"))
	if len(rows) < 60 {
		t.Fatalf("only %d labelled sentences", len(rows))
	}
	acc, correct, classes := evalSentiment(t, a, rows, result.Options{}, func(r evaltest.Labelled, res result.Result) {
		ev := a.gather(r.Text)
		t.Logf("miss: want %-8s got %-8s %+v model %.2f lexicon(+%.2f -%.2f) clauses(+%.2f -%.2f) %q", r.Label, res.Sentiment, *res.SentimentScore,
			a.model.logit(ev.sum, ev.nFeats), ev.lexPos, ev.lexNeg, ev.posCl, ev.negCl, r.Text)
	})
	t.Logf("hand-labelled sentiment accuracy %.4f (%d/%d): %s", acc, correct, len(rows), classes)
	if acc < 0.80 {
		t.Errorf("accuracy %.4f below the 0.80 floor", acc)
	}
}

func TestSentimentCases(t *testing.T) {
	a := newSentiment(t)
	for _, tc := range []struct {
		text string
		want string // "" = anything but notWant
		not  string
	}{
		{"Not bad at all.", "", Negative},
		{"not bad at all", "", Negative},
		{"The package arrived on Tuesday.", Neutral, ""},
		{"The food was great but the service was terrible.", Mixed, ""},
		{"I love it!", Positive, ""},
		{"I hate it.", Negative, ""},
		{"It is not good.", "", Positive},
		{"Great\tproduct,\nreally  great.", Positive, ""}, // tabs, newlines, double spaces
		{"12345", Neutral, ""},
	} {
		var res result.Result
		if err := a.Analyze(tc.text, result.Options{}, &res); err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		checkScore(t, tc.text, res)
		if tc.want != "" && res.Sentiment != tc.want {
			t.Errorf("%q: got %s %+v, want %s", tc.text, res.Sentiment, *res.SentimentScore, tc.want)
		}
		if tc.not != "" && res.Sentiment == tc.not {
			t.Errorf("%q: got %s %+v", tc.text, res.Sentiment, *res.SentimentScore)
		}
	}
}

func TestSentimentLanguage(t *testing.T) {
	a := newSentiment(t)
	for _, tc := range []struct {
		cfg, opt string
		ok       bool
	}{
		{"", "", true}, {"", "en", true}, {"en", "EN-gb", true},
		{"", "de", false}, {"fr", "", false}, {"en", "es", false},
	} {
		b := a
		if tc.cfg != "" {
			var err error
			if b, err = New(Config{LanguageCode: tc.cfg}); err != nil {
				t.Fatal(err)
			}
		}
		var res result.Result
		err := b.Analyze("This is lovely.", result.Options{LanguageCode: tc.opt}, &res)
		var de *result.DocError
		switch {
		case tc.ok && err != nil:
			t.Errorf("cfg %q opt %q: %v", tc.cfg, tc.opt, err)
		case !tc.ok && (!errors.As(err, &de) || de.Code != job.CodeUnsupportedLanguage):
			t.Errorf("cfg %q opt %q: got %v, want UNSUPPORTED_LANGUAGE", tc.cfg, tc.opt, err)
		case !tc.ok && res.SentimentScore != nil:
			t.Errorf("cfg %q opt %q: result filled on error", tc.cfg, tc.opt)
		}
	}
	if _, err := New(Config{MaxBytes: -1}); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("negative MaxBytes: %v", err)
	}
	if a.DefaultMaxBytes() != 5000 || a.Name() != job.Sentiment || a.ModelVersion() == "" {
		t.Errorf("metadata: %d %s %q", a.DefaultMaxBytes(), a.Name(), a.ModelVersion())
	}
}

// TestSentimentTechnicalProse: plain technical statements that hold a lexicon word ("error",
// "special", "secure", "missing", "avoid", "support", ...) are NEUTRAL (an outside check found
// man pages and package descriptions labelled polar; issue of 4 December 2026). The paragraphs
// are from the tuning half of the man-page paragraphs the opinion gate was chosen on (the
// other half is reported in doc.go and never tuned on); each was POSITIVE or NEGATIVE before
// the opinion model.
func TestSentimentTechnicalProse(t *testing.T) {
	a := newSentiment(t)
	for _, text := range []string{
		"If --cert-type is provided several times, the last set value will be used.",
		"Each of the metacharacters listed above under DEFINITIONS has special meaning to the shell and must be quoted if it is to represent itself.",
		"The following variables are used by the shell. In some cases, bash assigns a default value to a variable; these cases are noted below.",
		"-u, --update copy only when the SOURCE file is newer than the destination file or when the destination file is missing",
		"When the environment variable LESSSECURE is set to 1, less runs in a \"secure\" mode. This means these features are disabled:",
		"Starting with bash-4.4, Bash has begun deprecating older compatibility levels. Eventually, the options will be removed in favor of BASH_COMPAT.",
		"This option allows a user to avoid using the Alt-Svc method of upgrading to HTTP/3 when you know that the target speaks HTTP/3 on the given host and port.",
		"The statement, delete array[expr], causes array[expr] not to exist. mawk supports an extension, delete array, which deletes all elements of array.",
		"--tls-max <VERSION> (SSL) VERSION defines maximum supported TLS version. The minimum acceptable version is set by tlsv1.0, tlsv1.1, tlsv1.2 or tlsv1.3.",
		"If no command name results, redirections are performed, but do not affect the current shell environment. A redirection error causes the command to exit with a non-zero status.",
		"--egd-file <file> (TLS) Deprecated option. This option is ignored by curl since 7.84.0. Prior to that it only had an effect on curl if built to use old versions of OpenSSL.",
		"See also --no-alpn and --http2. --no-npn requires that the underlying libcurl was built to support TLS. Added in 7.36.0.",
	} {
		var res result.Result
		if err := a.Analyze(text, result.Options{}, &res); err != nil {
			t.Fatal(err)
		}
		checkScore(t, text, res)
		if res.Sentiment != Neutral {
			ev := a.gather(text)
			t.Errorf("%q: %s %+v (opinion logit %.2f, lexicon +%.2f -%.2f over %d words), want NEUTRAL", text, res.Sentiment,
				*res.SentimentScore, a.opinion.logit(ev.opSum, ev.nFeats), ev.lexPos, ev.lexNeg, ev.words)
		}
	}
}

// TestSentimentConcurrent shares one analyser between goroutines: the same results as alone
// (meaningful under -race too).
func TestSentimentConcurrent(t *testing.T) {
	a := newSentiment(t)
	var texts []string
	for _, r := range evaltest.ReadTSV(t, filepath.Join("testdata", "sentiment-labelled.tsv")) {
		texts = append(texts, r.Text)
	}
	evaltest.Concurrent(t, texts, func(s string) (res result.Result) {
		if err := a.Analyze(s, result.Options{}, &res); err != nil {
			t.Error(err)
		}
		return res
	})
}

// imdbDir locates the IMDB review set shipped in the module
// github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10 (datasets/test), in the
// module cache or at $REAM_IMDB_DIR.
func imdbDir(t testing.TB) string {
	dir := evaltest.IMDBLocation()
	if dir == "" {
		t.Skip("module cache not found; set REAM_IMDB_DIR")
	}
	return dir
}

// TestSentimentIMDB evaluates on the IMDB test reviews (binary labels, 1-4 and 7-10 stars)
// that fit the 5,000-byte limit (24,728 of 25,000). It reports polarity accuracy (is the
// Positive score above the Negative score, whatever the label? MIXED and NEUTRAL predictions
// are counted by that comparison), strict label accuracy (a MIXED or NEUTRAL label counts as
// wrong) and the label distribution. The floor is on polarity. The model was trained on the
// train split only. Skipped when the data set is absent, and with -short.
func TestSentimentIMDB(t *testing.T) {
	if testing.Short() {
		t.Skip("slow evaluation")
	}
	dir := imdbDir(t)
	if _, err := os.Stat(filepath.Join(dir, "pos")); err != nil {
		t.Skipf("IMDB data set absent: %v", err)
	}
	// The IMDB set's own train and test splits share some reviews: the train reviews'
	// evaltest.RepeatKey (case, white space and punctuation folded), to report the figure
	// without the test reviews that repeat one.
	inTrain := map[string]bool{}
	for _, class := range []string{"pos", "neg"} {
		tdir := filepath.Join(dir, "..", "train", class)
		entries, err := os.ReadDir(tdir)
		if err != nil {
			t.Logf("no figure without the reviews repeated from train: %v", err)
			break
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(tdir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			inTrain[evaltest.RepeatKey(strings.ReplaceAll(string(b), "<br />", " "))] = true
		}
	}
	a := newSentiment(t)
	total, polarOK, strictOK, skipped := 0, 0, 0, 0
	repeated, repeatedOK := 0, 0
	labels := map[string]int{}
	for _, class := range []string{"pos", "neg"} {
		entries, err := os.ReadDir(filepath.Join(dir, class))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, class, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(string(b), "<br />", " ")
			if len(text) > DefaultMaxBytes {
				skipped++
				continue
			}
			var res result.Result
			if err := a.Analyze(text, result.Options{}, &res); err != nil {
				t.Fatal(err)
			}
			total++
			labels[res.Sentiment]++
			s := res.SentimentScore
			right := (class == "pos") == (s.Positive > s.Negative)
			if right {
				polarOK++
			}
			if inTrain[evaltest.RepeatKey(text)] {
				repeated++
				if right {
					repeatedOK++
				}
			}
			if (class == "pos" && res.Sentiment == Positive) || (class == "neg" && res.Sentiment == Negative) {
				strictOK++
			}
		}
	}
	polar := float64(polarOK) / float64(total)
	t.Logf("IMDB test: %d reviews (%d over 5,000 bytes skipped); polarity accuracy %.4f; strict label accuracy %.4f; labels %v",
		total, skipped, polar, float64(strictOK)/float64(total), labels)
	if len(inTrain) > 0 {
		t.Logf("IMDB test without the %d reviews that repeat a train review (case, white space and punctuation folded): %d reviews, polarity accuracy %.4f",
			repeated, total-repeated, float64(polarOK-repeatedOK)/float64(max(total-repeated, 1)))
	}
	if polar < 0.89 {
		t.Errorf("polarity accuracy %.4f below the 0.89 floor", polar)
	}
}

// evalSentiment scores labelled rows (checking every score vector), calls miss for each wrong
// label, and returns the accuracy, the number right and the per-class counts ("MIXED 10/12, …").
func evalSentiment(t *testing.T, a *Analyzer, rows []evaltest.Labelled, opts result.Options, miss func(evaltest.Labelled, result.Result)) (float64, int, string) {
	t.Helper()
	correct := 0
	perClass := map[string][2]int{}
	for _, r := range rows {
		var res result.Result
		if err := a.Analyze(r.Text, opts, &res); err != nil {
			t.Fatalf("%q: %v", r.Text, err)
		}
		checkScore(t, r.Text, res)
		c := perClass[r.Label]
		c[1]++
		if res.Sentiment == r.Label {
			c[0]++
			correct++
		} else {
			miss(r, res)
		}
		perClass[r.Label] = c
	}
	var classes []string
	for l, c := range perClass {
		classes = append(classes, fmt.Sprintf("%s %d/%d", l, c[0], c[1]))
	}
	sort.Strings(classes)
	return float64(correct) / float64(len(rows)), correct, strings.Join(classes, ", ")
}
