package recommend

// CentroidWeights returns the weights NewCentroid gives one user's items,
// from their raw weights and times: what a server computes for a user's
// current history.
func CentroidWeights(weights []float32, times []int64, opts CentroidOptions) []float32 {
	out := make([]float32, len(weights))
	var decay []float32
	if opts.RecencyHalfLife > 0 {
		decay = make([]float32, len(times))
		decayInto(decay, times, opts.RecencyHalfLife, nil)
	}
	for k, w := range weights {
		out[k] = 1
		if opts.RatingWeight {
			out[k] = w - opts.RatingShift
		}
		if decay != nil {
			out[k] *= decay[k]
		}
	}
	return out
}
