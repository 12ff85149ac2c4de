package topics

import "strings"

// stopWords are English function words, matched on the lower-cased word before stemming
// (apostrophes normalised to '). Words shorter than three letters are dropped anyway and are
// not listed.
const stopWords = `
about above across actually after afterwards again against ago ahead all almost alone along
already also although always among amongst and another any anybody anyhow anyone anything
anyway anyways anywhere are aren't around aside away became because become becomes becoming
been before beforehand behind being below beside besides between beyond both but can can't
cannot could couldn't did didn't does doesn't doing don't done down due during each either
else elsewhere enough especially etc even ever every everybody everyone everything
everywhere except few for former formerly from further furthermore had hadn't has hasn't
have haven't having he'd he'll he's hence her here here's hereafter hereby herein hers
herself him himself his how how's however i'd i'll i'm i've inside instead into isn't it'd
it'll it's its itself just last later latter least less let's lot lots many may maybe
meanwhile might mine more moreover most mostly much must mustn't myself namely neither never
nevertheless next nobody non none noone nor not nothing now nowhere off often once one ones
only onto other others otherwise ought our ours ourselves out over overall own per perhaps
quite rather really same several shall shan't she she'd she'll she's should shouldn't since
so some somebody somehow someone something sometime sometimes somewhat somewhere soon still
such than that that's the their theirs them themselves then thence there there's thereafter
thereby therefore therein thereupon these they they'd they'll they're they've thing things
this those though through throughout thru thus together too toward towards under unless
until upon very via was wasn't we'd we'll we're we've were weren't what what's whatever when
when's whence whenever where where's whereafter whereas whereby wherein whereupon wherever
whether which while whither who who's whoever whole whom whose why why's will with within
without won't would wouldn't yes yet you you'd you'll you're you've your yours yourself
yourselves
`

// genericStems are stems of words that are about documents in general rather than about any
// subject (common verbs of description and web and app boilerplate). They are matched after
// stemming, so every inflection goes ("uses", "used", "using"). Chosen from general knowledge of
// such text, not from the evaluation data.
const genericStems = `
use allow provid includ support featur make get need want give take come goe went see seem
becom keep put like also well way various etc
http https www com org net html htm php asp aspx amp nbsp quot href src img url
copyright reserv cooki click login logout signup subscrib unsubscrib newslett
`

var (
	stopWordSet    = wordSet(stopWords)
	genericStemSet = wordSet(genericStems)
)

func wordSet(s string) map[string]struct{} {
	m := make(map[string]struct{})
	for _, w := range strings.Fields(s) {
		m[w] = struct{}{}
	}
	return m
}

// IsStopWord reports whether the lower-cased word w is dropped by the tokeniser as a function
// word or a generic (boilerplate) word.
func IsStopWord(w string) bool {
	if _, ok := stopWordSet[w]; ok {
		return true
	}
	b := stem([]byte(w))
	_, ok := genericStemSet[string(b)]
	return ok
}
