package encoder

import "math"

// erf32 is the error function in float32: a rational approximation on
// [-4, 4] (numerator odd of degree 13, denominator even of degree 8, the
// coefficients of Eigen's and TensorFlow's fast erf), ±1 beyond. Its largest
// error against math.Erf is checked in the tests.
func erf32(x float32) float32 {
	x = min(max(x, -4), 4)
	x2 := x * x
	p := x2*-2.72614225801306e-10 + 2.77068142495902e-08
	p = x2*p + -2.10102402082508e-06
	p = x2*p + -5.69250639462346e-05
	p = x2*p + -7.34990630326855e-04
	p = x2*p + -2.95459980854025e-03
	p = x2*p + -1.60960333262415e-02
	p *= x
	q := x2*-1.45660718464996e-05 + -2.13374055278905e-04
	q = x2*q + -1.68282697438203e-03
	q = x2*q + -7.37332916720468e-03
	q = x2*q + -1.42647390514189e-02
	return p / q
}

// exp32 is e^x in float32 for x <= 0 (softmax after subtracting the row
// maximum): Cephes' expf, a degree-6 polynomial on [-ln2/2, ln2/2] scaled by
// 2^n. Values below -87 give 0.
func exp32(x float32) float32 {
	if x < -87 {
		return 0
	}
	n := float32(math.Floor(float64(x*1.44269504088896341 + 0.5)))
	x -= n * 0.693359375
	x -= n * -2.12194440e-4
	z := x * x
	y := float32(1.9875691500e-4)
	y = y*x + 1.3981999507e-3
	y = y*x + 8.3334519073e-3
	y = y*x + 4.1665795894e-2
	y = y*x + 1.6666665459e-1
	y = y*x + 5.0000001201e-1
	y = y*z + x + 1
	return y * math.Float32frombits(uint32(int32(n)+127)<<23)
}
