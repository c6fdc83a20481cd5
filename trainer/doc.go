// Package trainer learns a collection's users and items as vectors from
// its interactions, and keeps what it learned: background training jobs
// with their progress, the model's durable form and its atomic swap on
// retrain, and user vectors folded in from a user's interactions.
//
// It sits beside index, which keeps interactions durable, and above
// recommend, which does the maths on dense indices. Its own job is the
// lifecycle between the two: mapping user and point ids to dense indices
// and back, running one training at a time (training is CPU-bound and the
// machine's cores are shared with queries), and never letting a reader see
// half a model.
//
// Invariants:
//
//  1. A collection's model is replaced only whole: the new one is saved
//     (one synced batch) and then swapped in with one atomic store, so a
//     reader holds either the old model or the new one.
//  2. At most one training runs at a time on a Trainer; another Start
//     answers ErrBusy at once instead of queueing.
//  3. A Model is immutable; fold-in results are computed per call.
package trainer
