package encoder

import "unicode/utf8"

// wordPiece appends to ids the greedy longest-match WordPiece split of word,
// which holds nchars characters, as the HF `tokenizers` WordPiece model does:
// pieces after the first carry the continuation prefix, and a word with no
// complete split, or longer than maxWordChars, becomes a single [UNK].
// piece is scratch space; the grown buffer is returned for reuse.
func (t *tokenizer) wordPiece(ids []int32, word []byte, nchars int, piece []byte) ([]int32, []byte) {
	if nchars > t.maxWordChars {
		return append(ids, t.unk), piece
	}
	first := len(ids)
	for start := 0; start < len(word); {
		end := len(word)
		id := int32(-1)
		for end > start {
			var ok bool
			if start == 0 {
				id, ok = t.vocab[string(word[:end])]
			} else {
				piece = append(append(piece[:0], t.prefix...), word[start:end]...)
				id, ok = t.vocab[string(piece)]
			}
			if ok {
				break
			}
			id = -1
			_, size := utf8.DecodeLastRune(word[start:end])
			end -= size
		}
		if id < 0 {
			return append(ids[:first], t.unk), piece
		}
		ids = append(ids, id)
		start = end
	}
	return ids, piece
}
