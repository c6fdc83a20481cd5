package encoder

import (
	"errors"
	"fmt"
	"runtime"
)

// Options configures Load. The zero value means every default.
type Options struct {
	// MaxSeqLen caps the tokens of one text, [CLS] and [SEP] included; longer
	// texts are truncated. Zero means the model's own limit:
	// sentence_bert_config.json's max_seq_length, else config.json's
	// max_position_embeddings. It may not exceed max_position_embeddings.
	MaxSeqLen int
	// Threads is the number of goroutines one Encode call computes with.
	// Zero means runtime.GOMAXPROCS(0).
	Threads int
	// BatchTokens bounds the tokens packed into one forward pass; texts are
	// sorted by length and packed up to this many tokens. Zero means 2048.
	// It must be at least MaxSeqLen.
	BatchTokens int
}

// EnsureDefaults fills the zero fields that do not depend on the model.
func (o *Options) EnsureDefaults() {
	if o.Threads == 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if o.BatchTokens == 0 {
		o.BatchTokens = 2048
	}
}

// Validate reports every problem with o.
func (o *Options) Validate() error {
	var errs []error
	if o.MaxSeqLen < 0 || o.MaxSeqLen == 1 {
		errs = append(errs, fmt.Errorf("MaxSeqLen %d: want 0 or at least 2", o.MaxSeqLen))
	}
	if o.Threads < 0 {
		errs = append(errs, fmt.Errorf("option Threads %d: want 0 or more", o.Threads))
	}
	if o.BatchTokens < 0 {
		errs = append(errs, fmt.Errorf("BatchTokens %d: want 0 or more", o.BatchTokens))
	}
	if o.BatchTokens > 0 && o.MaxSeqLen > o.BatchTokens {
		errs = append(errs, fmt.Errorf("BatchTokens %d is below MaxSeqLen %d", o.BatchTokens, o.MaxSeqLen))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("encoder options: %w", err)
	}
	return nil
}
