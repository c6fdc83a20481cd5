package bm25

import "github.com/kljensen/snowball/english"

// nltkEnglishExtra are the words of NLTK's English stop-word list (the one
// FastEmbed ships for Qdrant/bm25) that the stemmer library's list lacks:
// mostly the halves of contractions that splitting at apostrophes leaves.
var nltkEnglishExtra = map[string]bool{
	"d": true, "ll": true, "m": true, "o": true, "re": true, "ve": true, "y": true,
	"ain": true, "aren": true, "couldn": true, "didn": true, "doesn": true,
	"hadn": true, "hasn": true, "haven": true, "isn": true, "ma": true,
	"mightn": true, "mustn": true, "needn": true, "shan": true, "shouldn": true,
	"wasn": true, "weren": true, "won": true, "wouldn": true,
}

func isEnglishStopWord(w string) bool { return english.IsStopWord(w) || nltkEnglishExtra[w] }
