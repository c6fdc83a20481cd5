package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// WriteANNSubset writes to outDir the first limit base vectors of srcDir,
// all of its queries and their exact ground truth over that subset, so that
// Quiver and every peer read the same files.
func WriteANNSubset(ctx context.Context, srcDir, outDir string, limit int, gtc GroundTruthConfig) error {
	base, dim, err := ReadFvecs(filepath.Join(srcDir, "base.fvecs"))
	if err != nil {
		return fmt.Errorf("ann subset: %w", err)
	}
	queries, qdim, err := ReadFvecs(filepath.Join(srcDir, "query.fvecs"))
	if err != nil {
		return fmt.Errorf("ann subset: %w", err)
	}
	if qdim != dim {
		return fmt.Errorf("ann subset: queries have dimension %d, base %d", qdim, dim)
	}
	if limit <= 0 || limit > len(base)/dim {
		return fmt.Errorf("ann subset: limit %d outside 1..%d", limit, len(base)/dim)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("ann subset: %w", err)
	}
	var took time.Duration
	if err := writeSplit(ctx, outDir, base[:limit*dim], queries, dim, gtc, &took); err != nil {
		return fmt.Errorf("ann subset: %w", err)
	}
	if gtc.Progress != nil {
		fmt.Fprintf(gtc.Progress, "ann subset: %d of %d base vectors, %d queries, ground truth in %s\n",
			limit, len(base)/dim, len(queries)/dim, took.Round(time.Millisecond))
	}
	return nil
}
