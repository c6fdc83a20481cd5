package recommend

import "fmt"

// WithoutUser returns a copy of the model without user u's row: users
// after u move down one. The copy keeps no training matrix, as a loaded
// model does not. It is how a forgotten user leaves the saved model.
func (m *IALS) WithoutUser(u int) (*IALS, error) {
	f, n := m.opts.Factors, m.Users()
	if u < 0 || u >= n {
		return nil, fmt.Errorf("ials: user %d of %d: %w", u, n, ErrIndex)
	}
	train, err := Build(n-1, m.Items(), nil, LastWins)
	if err != nil {
		return nil, err
	}
	out := *m
	out.train = train
	out.users = append(append(make([]float32, 0, (n-1)*f), m.users[:u*f]...), m.users[(u+1)*f:]...)
	if len(m.userL2) == n {
		out.userL2 = append(append(make([]float32, 0, n-1), m.userL2[:u]...), m.userL2[u+1:]...)
	}
	return &out, nil
}

// WithoutUsers returns a copy of the model with no user rows: its item
// side, which is all that writing the items' vectors needs, and no
// user's data. The copy keeps no training matrix.
func (m *IALS) WithoutUsers() (*IALS, error) {
	train, err := Build(0, m.Items(), nil, LastWins)
	if err != nil {
		return nil, err
	}
	out := *m
	out.train, out.users, out.userL2 = train, nil, nil
	return &out, nil
}

// WithoutUser returns a copy of the rating model without user u's bias:
// users after u move down one. It is how a forgotten user leaves the saved
// model.
func (r *Ratings) WithoutUser(u int) (*Ratings, error) {
	if u < 0 || u >= len(r.user) {
		return nil, fmt.Errorf("ratings: user %d of %d: %w", u, len(r.user), ErrIndex)
	}
	out := *r
	out.user = append(append(make([]float32, 0, len(r.user)-1), r.user[:u]...), r.user[u+1:]...)
	return &out, nil
}
