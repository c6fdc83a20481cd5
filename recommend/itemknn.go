package recommend

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/quiver-db/quiver/internal/parallel"
)

// ItemKNN scores an item by the summed cosine similarity to the user's items
// among their k nearest neighbours, similarity measured on the binary
// item×user matrix (Deshpande & Karypis 2004).
type ItemKNN struct {
	train     *Matrix
	neighbors [][]neighbor // per item, best first
}

type neighbor struct {
	item int32
	sim  float32
}

// TrainItemKNN keeps the k most similar items of every item, over workers
// goroutines (0 = GOMAXPROCS).
func TrainItemKNN(ctx context.Context, m *Matrix, k, workers int) (*ItemKNN, error) {
	if k < 1 {
		return nil, fmt.Errorf("item-knn: k = %d, want ≥ 1: %w", k, ErrOptions)
	}
	workers = workerCount(workers)
	n := m.Items()
	knn := &ItemKNN{train: m, neighbors: make([][]neighbor, n)}
	counts := make([][]float32, workers)
	touched := make([][]int32, workers)
	for w := range counts {
		counts[w] = make([]float32, n)
	}
	parallel.For(n, workers, func(w, j int) {
		if ctx.Err() != nil {
			return
		}
		c := counts[w]
		t := touched[w][:0]
		users, _ := m.ItemUsers(j)
		for _, u := range users {
			items, _ := m.UserItems(int(u))
			for _, i := range items {
				if c[i] == 0 {
					t = append(t, i)
				}
				c[i]++
			}
		}
		cand := make([]neighbor, 0, len(t))
		nj := float64(len(users))
		for _, i := range t {
			if int(i) != j {
				sim := float64(c[i]) / math.Sqrt(nj*float64(m.ItemCount(int(i))))
				cand = append(cand, neighbor{i, float32(sim)})
			}
			c[i] = 0
		}
		touched[w] = t
		slices.SortFunc(cand, func(a, b neighbor) int {
			return cmp.Or(cmp.Compare(b.sim, a.sim), cmp.Compare(a.item, b.item))
		})
		knn.neighbors[j] = slices.Clip(cand[:min(k, len(cand))])
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("item-knn: %w", err)
	}
	return knn, nil
}

// Score sums, for each of the user's items, its neighbours' similarities.
func (k *ItemKNN) Score(u int, dst []float32) {
	clear(dst)
	items, _ := k.train.UserItems(u)
	for _, j := range items {
		for _, nb := range k.neighbors[j] {
			dst[nb.item] += nb.sim
		}
	}
}
