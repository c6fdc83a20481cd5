package recommend

import "errors"

// Sentinel errors, wrapped with context by the functions that return them.
var (
	// ErrIndex reports a user or item index outside the matrix.
	ErrIndex = errors.New("recommend: index out of range")
	// ErrDimension reports vectors of the wrong length.
	ErrDimension = errors.New("recommend: wrong dimension")
	// ErrOptions reports options that fail Validate.
	ErrOptions = errors.New("recommend: invalid options")
	// ErrValue reports a NaN or infinite input value.
	ErrValue = errors.New("recommend: invalid value")
	// ErrSingular reports a system that is not positive definite.
	ErrSingular = errors.New("recommend: matrix not positive definite")
)
