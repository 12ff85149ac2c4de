package language

import "strings"

// Letters that only some languages write. A text holding one of them is very unlikely to be in
// a language that never uses it, whatever its trigrams say: "Jenom žena ví, čeho je žena
// schopna." is not Swedish, "Considerînd că ignorarea și" not English. Short texts have too few
// trigrams for the n-gram model to see that (lingua-go's high-accuracy mode has rules of the same
// kind). Only letters that are distinctive in the orthographies of the languages below are
// listed; common accented letters (é, ä, ö, ü, ç, …) are not. Each entry names every supported
// language that writes the letter (lingua-go's own tables, constant.go and
// Language.uniqueCharacters, checked against the orthographies): Vietnamese's letters with a dot
// below, a hook above or two marks (lingua-go's unique characters of Vietnamese; found from
// outside: "Con chạy hoạt họa Windows" was German), Azerbaijani's ə, Yoruba's ṣ and Polish ś ź ń
// (ń Yoruba's too) and the Cyrillic letters (found from outside: "Shift + Num Lock перемикає
// PointerKeys", with Ukrainian's є, was Macedonian) were missing, and ē ī ū excluded Māori and
// Yoruba, which write them.
var letterLanguages = map[string]string{
	// Vietnamese only (ơ ư, ă, đ, ã, õ below); ẹ ọ are Yoruba's too.
	"ẰằẦầẲẳẨẩẴẵẪẫẮắẤấẠạẶặẬậỀềẺẻỂểẼẽỄễẾếỆệỈỉĨĩỊịỒồỜờỎỏỔổỞởỖỗỠỡỐốỚớỘộỢợỪừỦủỬửŨũỮữỨứỤụỰựỲỳỶỷỸỹỴỵ": "vi",
	"ẸẹỌọ":         "vi yo",
	"əƏ":           "az",
	"ṣṢ":           "yo",
	"śźŚŹ":         "pl",
	"ńŃ":           "pl yo",
	"ŝĉĝĥĵŭŜĈĜĤĴŬ": "eo",
	"șțȘȚţŢ":       "ro",
	"ăĂ":           "ro vi",
	"şŞ":           "ro tr az",
	"őűŐŰ":         "hu",
	"łŁ":           "pl",
	"ąęĄĘ":         "pl lt",
	"ėįųĖĮŲ":       "lt",
	"ūŪ":           "lt lv mi yo",
	"ēīĒĪ":         "lv mi yo",
	"ļņķģĻŅĶĢ":     "lv",
	"řěůŘĚŮ":       "cs",
	"ľĺŕĽĹŔ":       "sk",
	"ďťĎŤ":         "cs sk",
	"čšžČŠŽ":       "cs sk sl hr bs sr lt lv et fi",
	"ğıİĞ":         "tr az",
	"ßẞ":           "de",
	"þÞ":           "is",
	"ðÐ":           "is",
	"øØ":           "da nb nn",
	"æÆ":           "da nb nn is",
	"åÅ":           "da nb nn sv fi",
	"ñÑ":           "es eu tl",
	"ãÃ":           "pt vi",
	"õÕ":           "pt et vi",
	"ơưƠƯ":         "vi",
	"đĐ":           "vi hr bs sr",
	// Cyrillic (lingua-go's unique characters of these languages and its shared sets, with ө ү
	// also Kazakh's and щ also Ukrainian's, which write them; ў is Belarusian's alone).
	"ґҐєЄїЇ":     "uk",
	"ђЂћЋ":       "sr",
	"ѓЃѕЅќЌџЏ":   "mk",
	"јЈљЉњЊ":     "mk sr",
	"әӘғҒқҚңҢұҰ": "kk",
	"өӨүҮ":       "kk mn",
	"ўЎ":         "be",
	"іІ":         "be kk uk",
	"ъЪ":         "bg kk mn ru",
	"ыЫэЭёЁ":     "be kk mn ru",
	"щЩ":         "bg kk mn ru uk",
}

// letterMasks maps each listed letter to the bit set (by index in langNgramLanguages) of the
// languages that write it.
var letterMasks = func() map[rune]uint64 {
	pos := map[string]int{}
	for i, c := range langNgramLanguages {
		pos[c] = i
	}
	m := map[rune]uint64{}
	for letters, langs := range letterLanguages {
		var mask uint64
		for _, c := range strings.Fields(langs) {
			i, ok := pos[c]
			if !ok {
				panic("analysis: letterLanguages names an unknown language " + c)
			}
			mask |= 1 << i
		}
		for _, r := range letters {
			m[r] |= mask
		}
	}
	return m
}()

// letterPenalty is the log-probability a language loses for each distinct listed letter of the
// text it never writes: e^-10, enough to decide a short text, too little to overturn the
// trigrams of a long one that merely quotes a foreign name.
// The short-text path, whose scores are divided by the number of distinct letters
// (ngramshort.go), takes the same penalty: values from -2 to -1000 were compared there on the
// tuning halves, and -10 was as good as any.
const letterPenalty = -10.0
