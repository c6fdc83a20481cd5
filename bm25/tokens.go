package bm25

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
	"github.com/kljensen/snowball/hungarian"
	"github.com/kljensen/snowball/norwegian"
	"github.com/kljensen/snowball/russian"
	"github.com/kljensen/snowball/spanish"
	"github.com/kljensen/snowball/swedish"
)

// MaxTokenLen is the longest token, in characters, that is kept (as
// FastEmbed's token_max_length).
const MaxTokenLen = 40

// language is one stemmer and its stop words.
type language struct {
	stem func(word string, stemStopWords bool) string
	stop func(word string) bool
}

var languages = map[string]language{
	"english":   {english.Stem, isEnglishStopWord},
	"french":    {french.Stem, french.IsStopWord},
	"hungarian": {hungarian.Stem, hungarian.IsStopWord},
	"norwegian": {norwegian.Stem, norwegian.IsStopWord},
	"russian":   {russian.Stem, russian.IsStopWord},
	"spanish":   {spanish.Stem, spanish.IsStopWord},
	"swedish":   {swedish.Stem, swedish.IsStopWord},
}

// Languages returns the languages Tokens accepts, sorted.
func Languages() []string {
	out := make([]string, 0, len(languages))
	for l := range languages {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

func lookup(lang string) (language, error) {
	l, ok := languages[lang]
	if !ok {
		return language{}, fmt.Errorf("language %q: want one of %s", lang, strings.Join(Languages(), ", "))
	}
	return l, nil
}

// isWordRune is Python's \w, the characters FastEmbed keeps in words:
// letters, numbers and '_'. Like \w it leaves out combining marks, so a
// decomposed accent splits a word there as it does in FastEmbed.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// Tokens returns the stemmed tokens of text in order, repeats kept.
func Tokens(text, lang string) ([]string, error) {
	l, err := lookup(lang)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, word := range strings.FieldsFunc(text, func(r rune) bool { return !isWordRune(r) }) {
		if utf8.RuneCountInString(word) > MaxTokenLen {
			continue
		}
		word = strings.ToLower(word)
		if l.stop(word) {
			continue
		}
		if s := l.stem(word, true); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}
