package result

import (
	"encoding/json"
	"testing"
)

func TestResultJSONShapes(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{"nothing ran", Result{}, `{}`},
		{"language", Result{Languages: []DominantLanguage{{"en", 1}}}, `{"Languages":[{"LanguageCode":"en","Score":1}]}`},
		{"entities found none", Result{Entities: []Entity{}}, `{"Entities":[]}`},
		{"pii alone is Comprehend's Entities", Result{PiiEntities: []PiiEntity{{1, 3, 0.9, "EMAIL"}}},
			`{"Entities":[{"BeginOffset":1,"EndOffset":3,"Score":0.9,"Type":"EMAIL"}]}`},
		{"pii beside entities", Result{Entities: []Entity{}, PiiEntities: []PiiEntity{}}, `{"Entities":[],"PiiEntities":[]}`},
		{"order", Result{KeyPhrases: []KeyPhrase{}, Sentiment: "NEUTRAL", SentimentScore: &SentimentScore{Neutral: 1}},
			`{"Sentiment":"NEUTRAL","SentimentScore":{"Positive":0,"Negative":0,"Neutral":1,"Mixed":0},"KeyPhrases":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}
