package encoder

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// tokenizer is the BERT WordPiece pipeline of the Hugging Face `tokenizers`
// library: added (special) tokens matched first, the BertNormalizer, the
// BertPreTokenizer, WordPiece, then [CLS] … [SEP]. It is safe for concurrent
// use.
type tokenizer struct {
	vocab        map[string]int32
	prefix       string // continuation prefix, "##"
	maxWordChars int    // longer words become [UNK]
	unk          int32
	cls, sep     int32
	added        []addedToken // matched in the raw text, longest first at each offset

	cleanText    bool
	chineseChars bool
	stripAccents bool
	lowercase    bool

	scratch sync.Pool // *tokScratch
}

// addedToken is a token that is matched in the raw text before normalisation.
type addedToken struct {
	text string
	id   int32
}

// tokScratch holds the buffers one Encode call reuses.
type tokScratch struct {
	runes []rune
	bytes []byte
	nfd   []byte
	word  []byte
	piece []byte
}

// encode returns the token ids of text, [CLS] and [SEP] included, truncated
// to at most maxLen ids (maxLen >= 2). The ids are appended to dst.
func (t *tokenizer) encode(dst []int32, text string, maxLen int) []int32 {
	sc, _ := t.scratch.Get().(*tokScratch)
	if sc == nil {
		sc = &tokScratch{}
	}
	defer t.scratch.Put(sc)
	first := len(dst)
	dst = append(dst, t.cls)
	limit := first + maxLen - 1 // room left for [SEP]
	for len(text) > 0 && len(dst) < limit {
		at, tok := t.nextAdded(text)
		dst = t.encodeSegment(dst, text[:at], limit, sc)
		if tok == nil {
			break
		}
		if len(dst) < limit {
			dst = append(dst, tok.id)
		}
		text = text[at+len(tok.text):]
	}
	if len(dst) > limit {
		dst = dst[:limit]
	}
	return append(dst, t.sep)
}

// nextAdded finds the leftmost added token in s, the longest one at that
// offset. It returns len(s), nil when there is none.
func (t *tokenizer) nextAdded(s string) (int, *addedToken) {
	if len(t.added) == 0 {
		return len(s), nil
	}
	for i := 0; i < len(s); i++ {
		var best *addedToken
		for k := range t.added {
			a := &t.added[k]
			if strings.HasPrefix(s[i:], a.text) && (best == nil || len(a.text) > len(best.text)) {
				best = a
			}
		}
		if best != nil {
			return i, best
		}
	}
	return len(s), nil
}

// encodeSegment normalises, pre-tokenises and WordPiece-splits s, text
// without added tokens, appending ids until len(ids) reaches limit.
func (t *tokenizer) encodeSegment(ids []int32, s string, limit int, sc *tokScratch) []int32 {
	if s == "" {
		return ids
	}
	runes := t.normalize(s, sc)
	word := sc.word[:0]
	nchars := 0
	flush := func() {
		if nchars > 0 && len(ids) < limit {
			ids, sc.piece = t.wordPiece(ids, word, nchars, sc.piece)
		}
		word, nchars = word[:0], 0
	}
	for _, r := range runes {
		switch {
		case r == ' ' || (r >= 0x80 && splitTable.contains(r)) || (r < 0x80 && r >= '\t' && r <= '\r'):
			flush()
		case isPunct(r):
			flush()
			word = utf8.AppendRune(word, r)
			nchars = 1
			flush()
		default:
			word = utf8.AppendRune(word, r)
			nchars++
		}
		if len(ids) >= limit {
			break
		}
	}
	flush()
	sc.word = word
	return ids
}

// isPunct reports whether the BERT pre-tokenizer isolates r.
func isPunct(r rune) bool {
	if r < 0x80 {
		return r > ' ' && r < 0x7F && !(r >= '0' && r <= '9') && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z')
	}
	return punctTable.contains(r)
}

// normalize applies the BertNormalizer to s: clean text, space out CJK
// ideographs, NFD and strip non-spacing marks, lower-case. The result lives
// in sc until its next use.
func (t *tokenizer) normalize(s string, sc *tokScratch) []rune {
	out := sc.runes[:0]
	ascii := true
	for _, r := range s {
		if r >= 0x80 {
			ascii = false
		}
		if t.cleanText {
			if r < 0x80 {
				if r == '\t' || r == '\n' || r == '\r' {
					r = ' '
				} else if r < 0x20 || r == 0x7F {
					continue
				}
			} else if dropTable.contains(r) {
				continue
			} else if spaceTable.contains(r) {
				r = ' '
			}
		}
		if t.chineseChars && r >= 0x3400 && cjkTable.contains(r) {
			out = append(out, ' ', r, ' ')
			continue
		}
		out = append(out, r)
	}
	if t.stripAccents && !ascii {
		b := sc.bytes[:0]
		for _, r := range out {
			b = utf8.AppendRune(b, r)
		}
		sc.nfd = norm.NFD.Append(sc.nfd[:0], b...)
		sc.bytes = b
		out = out[:0]
		for _, r := range string(sc.nfd) {
			if r >= 0x300 && markTable.contains(r) {
				continue
			}
			out = append(out, r)
		}
	}
	if t.lowercase {
		n := len(out)
		for i := 0; i < n; i++ {
			r := out[i]
			if r < 0x80 {
				if r >= 'A' && r <= 'Z' {
					out[i] = r + 'a' - 'A'
				}
				continue
			}
			if l, ok := lowerTable[r]; ok {
				if utf8.RuneCountInString(l) == 1 {
					out[i], _ = utf8.DecodeRuneInString(l)
					continue
				}
				// A multi-rune lower case (U+0130): rebuild the tail.
				tail := append([]rune(l), out[i+1:]...)
				out = append(out[:i], tail...)
				n = len(out)
				i += utf8.RuneCountInString(l) - 1
			}
		}
	}
	sc.runes = out
	return out
}

// lowerString lower-cases s per rune as the normaliser does; it is used for
// sentence-transformers' do_lower_case.
func lowerString(s string) string {
	var b strings.Builder
	for _, r := range s {
		if l, ok := lowerTable[r]; ok {
			b.WriteString(l)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// tokenizerJSON is the part of tokenizer.json the tokenizer reads.
type tokenizerJSON struct {
	AddedTokens []struct {
		ID      int32  `json:"id"`
		Content string `json:"content"`
	} `json:"added_tokens"`
	Normalizer *struct {
		Type               string `json:"type"`
		CleanText          bool   `json:"clean_text"`
		HandleChineseChars bool   `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          bool   `json:"lowercase"`
	} `json:"normalizer"`
	PreTokenizer *struct {
		Type string `json:"type"`
	} `json:"pre_tokenizer"`
	PostProcessor *struct {
		Type   string `json:"type"`
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
		} `json:"single"`
		Cls []any `json:"cls"`
		Sep []any `json:"sep"`
	} `json:"post_processor"`
	Model struct {
		Type                    string           `json:"type"`
		UnkToken                string           `json:"unk_token"`
		ContinuingSubwordPrefix string           `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    int              `json:"max_input_chars_per_word"`
		Vocab                   map[string]int32 `json:"vocab"`
	} `json:"model"`
}

// loadTokenizerJSON reads a Hugging Face tokenizer.json of a BERT WordPiece
// tokenizer.
func loadTokenizerJSON(path string) (*tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var tj tokenizerJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s: %w", path, fmt.Sprintf(format, args...), ErrUnsupported)
	}
	if tj.Model.Type != "WordPiece" {
		return nil, bad("model type %q, want WordPiece", tj.Model.Type)
	}
	if tj.Normalizer == nil || tj.Normalizer.Type != "BertNormalizer" {
		return nil, bad("normalizer is not a BertNormalizer")
	}
	if tj.PreTokenizer == nil || tj.PreTokenizer.Type != "BertPreTokenizer" {
		return nil, bad("pre_tokenizer is not a BertPreTokenizer")
	}
	t := &tokenizer{
		vocab:        tj.Model.Vocab,
		prefix:       tj.Model.ContinuingSubwordPrefix,
		maxWordChars: tj.Model.MaxInputCharsPerWord,
		cleanText:    tj.Normalizer.CleanText,
		chineseChars: tj.Normalizer.HandleChineseChars,
		lowercase:    tj.Normalizer.Lowercase,
		stripAccents: tj.Normalizer.Lowercase,
	}
	if tj.Normalizer.StripAccents != nil {
		t.stripAccents = *tj.Normalizer.StripAccents
	}
	if t.maxWordChars == 0 {
		t.maxWordChars = 100
	}
	for _, a := range tj.AddedTokens {
		t.added = append(t.added, addedToken{text: a.Content, id: a.ID})
	}
	cls, sep := "[CLS]", "[SEP]"
	if pp := tj.PostProcessor; pp != nil {
		switch pp.Type {
		case "TemplateProcessing":
			var specials []string
			for _, p := range pp.Single {
				if p.SpecialToken != nil {
					specials = append(specials, p.SpecialToken.ID)
				}
			}
			if len(specials) != 2 {
				return nil, bad("post_processor template has %d special tokens, want [CLS] and [SEP]", len(specials))
			}
			cls, sep = specials[0], specials[1]
		case "BertProcessing":
			if len(pp.Cls) > 0 && len(pp.Sep) > 0 {
				cls, _ = pp.Cls[0].(string)
				sep, _ = pp.Sep[0].(string)
			}
		default:
			return nil, bad("post_processor type %q", pp.Type)
		}
	}
	if err := t.resolveSpecials(tj.Model.UnkToken, cls, sep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// loadVocabTxt builds a tokenizer from a BERT vocab.txt, one token a line,
// with the normaliser settings of tokenizer_config.json when present.
func loadVocabTxt(path, configPath string) (*tokenizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	t := &tokenizer{
		vocab: map[string]int32{}, prefix: "##", maxWordChars: 100,
		cleanText: true, chineseChars: true, lowercase: true, stripAccents: true,
	}
	sc := bufio.NewScanner(f)
	for id := int32(0); sc.Scan(); id++ {
		tok := strings.TrimRight(sc.Text(), "\r")
		if _, dup := t.vocab[tok]; !dup {
			t.vocab[tok] = id
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var tc struct {
		DoLowerCase          *bool `json:"do_lower_case"`
		StripAccents         *bool `json:"strip_accents"`
		TokenizeChineseChars *bool `json:"tokenize_chinese_chars"`
	}
	if data, err := os.ReadFile(configPath); err == nil {
		if err := json.Unmarshal(data, &tc); err != nil {
			return nil, fmt.Errorf("parse %s: %w", configPath, err)
		}
	}
	if tc.DoLowerCase != nil {
		t.lowercase = *tc.DoLowerCase
	}
	t.stripAccents = t.lowercase
	if tc.StripAccents != nil {
		t.stripAccents = *tc.StripAccents
	}
	if tc.TokenizeChineseChars != nil {
		t.chineseChars = *tc.TokenizeChineseChars
	}
	for _, s := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		if id, ok := t.vocab[s]; ok {
			t.added = append(t.added, addedToken{text: s, id: id})
		}
	}
	if err := t.resolveSpecials("[UNK]", "[CLS]", "[SEP]"); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// resolveSpecials looks up the ids of the unknown, start and end tokens.
func (t *tokenizer) resolveSpecials(unk, cls, sep string) error {
	for _, s := range []struct {
		name string
		dst  *int32
	}{{unk, &t.unk}, {cls, &t.cls}, {sep, &t.sep}} {
		id, ok := t.vocab[s.name]
		if !ok {
			return fmt.Errorf("special token %q is not in the vocabulary: %w", s.name, ErrInvalidModel)
		}
		*s.dst = id
	}
	return nil
}
