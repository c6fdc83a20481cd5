// Package projection maps high-dimensional vectors onto a plane, so that a
// person can look at a sample of a collection: the dashboard's 2-D map.
//
// It is the maths only, on rows of floats (principal component analysis
// through gonum's SVD); which points to sample and how to bound the work is
// the query engine's business, and the JSON is the API's.
package projection

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ErrShape reports rows that cannot be projected together.
var ErrShape = errors.New("projection: rows of different lengths")

// Plane is a projection of n rows onto their first two principal
// components.
type Plane struct {
	// X and Y are each row's coordinates, in the rows' order.
	X, Y []float64
	// Explained is the share of the rows' variance along each axis (0..1);
	// zeros when the rows do not vary.
	Explained [2]float64
}

// PCA projects rows onto their first two principal components. Rows are
// centred first; each axis's sign is chosen so that its largest loading
// is positive, so the same rows always give the same picture. Fewer than
// two rows, or rows that do not vary, land on the origin. The work is
// O(n·d·min(n, d)) and the memory O(n·d): bound both before calling.
func PCA(rows [][]float32) (Plane, error) {
	n := len(rows)
	p := Plane{X: make([]float64, n), Y: make([]float64, n)}
	if n == 0 {
		return p, nil
	}
	d := len(rows[0])
	for i, r := range rows {
		if len(r) != d {
			return Plane{}, fmt.Errorf("%w: row %d has %d, row 0 has %d", ErrShape, i, len(r), d)
		}
	}
	if n < 2 || d == 0 {
		return p, nil
	}
	centred := centre(rows)
	var svd mat.SVD
	if !svd.Factorize(centred, mat.SVDThinV) {
		return Plane{}, errors.New("projection: SVD did not converge")
	}
	values := svd.Values(nil)
	var total float64
	for _, s := range values {
		total += s * s
	}
	if total == 0 {
		return p, nil
	}
	var v mat.Dense
	svd.VTo(&v)
	coords := [2][]float64{p.X, p.Y}
	for k := range min(2, len(values)) {
		axis := mat.NewVecDense(d, orient(mat.Col(nil, k, &v)))
		for i := range n {
			coords[k][i] = mat.Dot(centred.RowView(i), axis)
		}
		p.Explained[k] = values[k] * values[k] / total
	}
	return p, nil
}

// centre returns the rows as a matrix with each column's mean subtracted.
func centre(rows [][]float32) *mat.Dense {
	n, d := len(rows), len(rows[0])
	mean := make([]float64, d)
	for _, r := range rows {
		for j, x := range r {
			mean[j] += float64(x)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	data := make([]float64, n*d)
	for i, r := range rows {
		for j, x := range r {
			data[i*d+j] = float64(x) - mean[j]
		}
	}
	return mat.NewDense(n, d, data)
}

// orient flips axis so that its largest loading by magnitude is positive:
// an SVD's singular vectors are only defined up to sign.
func orient(axis []float64) []float64 {
	big := 0
	for j, x := range axis {
		if math.Abs(x) > math.Abs(axis[big]) {
			big = j
		}
	}
	if axis[big] < 0 {
		for j := range axis {
			axis[j] = -axis[j]
		}
	}
	return axis
}
