package recommend

// Popular scores every item by its number of positive interactions in
// training, the same for every user: the baseline any personal model must
// beat.
type Popular struct{ counts []float32 }

// TrainPopular counts the users with a positive weight on each item.
func TrainPopular(m *Matrix) *Popular {
	p := &Popular{counts: make([]float32, m.Items())}
	for i := range m.Items() {
		_, ws := m.ItemUsers(i)
		for _, w := range ws {
			if w > 0 {
				p.counts[i]++
			}
		}
	}
	return p
}

// Score copies the counts.
func (p *Popular) Score(_ int, dst []float32) { copy(dst, p.counts) }
