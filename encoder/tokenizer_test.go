package encoder

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// tokenCase is one line of testdata/tokens_*.jsonl.gz, written by
// scripts/encoder/make_reference.py from the HF `tokenizers` library.
type tokenCase struct {
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

func readTokenCases(t *testing.T, path string) (maxLen int, cases []tokenCase) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	var head struct {
		MaxSeqLength int `json:"max_seq_length"`
	}
	for sc.Scan() {
		if head.MaxSeqLength == 0 {
			if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
				t.Fatalf("%s header: %v", path, err)
			}
			continue
		}
		var c tokenCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return head.MaxSeqLength, cases
}

// TestTokenizerMatchesHF compares token ids with those of the HF
// `tokenizers` library on every MovieLens title and tag and the hard cases
// of scripts/encoder/texts.py.
func TestTokenizerMatchesHF(t *testing.T) {
	e := miniLM(t)
	maxLen, cases := readTokenCases(t, "testdata/tokens_minilm.jsonl.gz")
	if maxLen != e.MaxSeqLen() || maxLen != 256 {
		t.Fatalf("reference max_seq_length %d, encoder %d, want 256 both", maxLen, e.MaxSeqLen())
	}
	if len(cases) < 10000 {
		t.Fatalf("only %d reference cases", len(cases))
	}
	bad, truncated := 0, 0
	for _, c := range cases {
		got := e.Tokenize(c.Text)
		if len(got) == maxLen {
			truncated++
		}
		if !slices.Equal(got, c.IDs) {
			bad++
			if bad <= 20 {
				t.Errorf("%q:\n got %v\nwant %v", c.Text, got, c.IDs)
			}
		}
	}
	t.Logf("%d/%d texts tokenized identically (%d truncated at %d)", len(cases)-bad, len(cases), truncated, maxLen)
	if bad > 0 {
		t.Errorf("%d of %d texts differ", bad, len(cases))
	}
	if truncated == 0 {
		t.Error("no reference text reached max_seq_length; truncation is untested")
	}
}

// TestTokenizerShortLimit checks truncation at a small limit keeps the
// first tokens and ends with [SEP].
func TestTokenizerShortLimit(t *testing.T) {
	e := miniLM(t)
	full := e.Tokenize("the quick brown fox jumps over the lazy dog")
	for limit := 2; limit < len(full); limit++ {
		got := e.tok.encode(nil, "the quick brown fox jumps over the lazy dog", limit)
		want := append(slices.Clone(full[:limit-1]), full[len(full)-1])
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: got %v, want %v", limit, got, want)
		}
	}
}

func TestRangeTable(t *testing.T) {
	tab := rangeTable{{2, 4}, {10, 10}, {20, 30}}
	for r := rune(0); r < 40; r++ {
		want := (r >= 2 && r <= 4) || r == 10 || (r >= 20 && r <= 30)
		if got := tab.contains(r); got != want {
			t.Errorf("contains(%d) = %v, want %v", r, got, want)
		}
	}
}

// FuzzTokenize checks what holds for any input: [CLS] first, [SEP] last,
// at most MaxSeqLen ids, every id in the vocabulary.
func FuzzTokenize(f *testing.F) {
	e := miniLM(f)
	for _, s := range []string{"", "hello", "[CLS]x[SEP]", "\xff\xfe invalid utf-8", "İİİ", "a\u0301\u0301\u0301", "東京", strings.Repeat("ab ", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := e.Tokenize(s)
		if len(ids) < 2 || len(ids) > e.MaxSeqLen() || ids[0] != e.tok.cls || ids[len(ids)-1] != e.tok.sep {
			t.Fatalf("%q: ids %v", s, ids)
		}
		for _, id := range ids {
			if id < 0 || int(id) >= e.m.cfg.VocabSize {
				t.Fatalf("%q: id %d out of range", s, id)
			}
		}
	})
}

func TestMaxSeqLenOption(t *testing.T) {
	dir := modelDir(t, "QUIVER_MODEL_DIR", "all-MiniLM-L6-v2")
	e, err := Load(dir, Options{MaxSeqLen: 8})
	if err != nil {
		t.Fatal(err)
	}
	if e.MaxSeqLen() != 8 || e.Name() != "all-MiniLM-L6-v2" || e.Dim() != 384 {
		t.Fatalf("MaxSeqLen %d, Name %q, Dim %d", e.MaxSeqLen(), e.Name(), e.Dim())
	}
	if ids := e.Tokenize("one two three four five six seven eight nine"); len(ids) != 8 {
		t.Errorf("%d ids, want 8", len(ids))
	}
	if _, err := Load(dir, Options{MaxSeqLen: 600}); err == nil || !strings.Contains(err.Error(), "max_position_embeddings") {
		t.Errorf("MaxSeqLen 600: error %v, want one about max_position_embeddings", err)
	}
}
