package eval

import (
	"cmp"
	"slices"

	"github.com/quiver-db/quiver/recommend"
)

// Split is a train/test partition of ratings over a fixed users×items
// shape.
type Split struct {
	Users, Items int
	Train, Test  []Rating
}

// ChronoSplit holds out each user's last (n+4)/5 ratings by (time, item):
// with n ratings, the user's latest fifth rounded up.
func ChronoSplit(users, items int, ratings []Rating) Split {
	byUser := make([][]Rating, users)
	for _, r := range ratings {
		byUser[r.User] = append(byUser[r.User], r)
	}
	s := Split{Users: users, Items: items}
	for _, rs := range byUser {
		slices.SortFunc(rs, func(a, b Rating) int {
			return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Item, b.Item))
		})
		cut := len(rs) - (len(rs)+4)/5
		s.Train = append(s.Train, rs[:cut]...)
		s.Test = append(s.Test, rs[cut:]...)
	}
	return s
}

// Validation applies the same rule to the train part.
func (s Split) Validation() Split { return ChronoSplit(s.Users, s.Items, s.Train) }

// Catalogue marks the items that appear in train: the only ones that can be
// recommended.
func (s Split) Catalogue() []bool {
	in := make([]bool, s.Items)
	for _, r := range s.Train {
		in[r.Item] = true
	}
	return in
}

// CatalogueSize is the number of items in train.
func (s Split) CatalogueSize() int {
	n := 0
	for _, ok := range s.Catalogue() {
		if ok {
			n++
		}
	}
	return n
}

// Interactions turns ratings into matrix events, weight = weight(r).
func Interactions(rs []Rating, weight func(Rating) float32) []recommend.Interaction {
	out := make([]recommend.Interaction, len(rs))
	for k, r := range rs {
		out[k] = recommend.Interaction{User: r.User, Item: r.Item, Weight: weight(r), Time: r.Time}
	}
	return out
}

// Binary weighs every rating 1: each rating is one interaction.
func Binary(Rating) float32 { return 1 }

// TrainMatrix builds the interaction matrix of the train part.
func (s Split) TrainMatrix(weight func(Rating) float32) (*recommend.Matrix, error) {
	return recommend.Build(s.Users, s.Items, Interactions(s.Train, weight), recommend.LastWins)
}

// TestItems groups the held-out items by user.
func (s Split) TestItems() [][]int32 {
	out := make([][]int32, s.Users)
	for _, r := range s.Test {
		out[r.User] = append(out[r.User], r.Item)
	}
	return out
}
