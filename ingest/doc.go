// Package ingest turns CSV and JSON Lines records into points and writes
// them to a collection through the client package, reporting every record
// it did not write and why.
//
// It is a package, not code in cmd/quiver, so that the parsing (column
// type inference, ids, duplicates, bad rows) is tested on its own and the
// command only binds flags. It links no storage: only the client.
//
// The rules it keeps so that no data is lost unnoticed:
//
//  1. Every record needs an id from its id field; a file without one is
//     refused unless ids made from each point's content are asked for
//     (ParseOptions.AutoID). Records are never numbered by position, which
//     would overwrite the points of an earlier file.
//  2. Of records sharing an id, the first is written and the later ones
//     are reported (Duplicate): a later record replacing an earlier one is
//     an overwrite nobody asked for.
//  3. A point the collection holds is replaced only with Options.Overwrite;
//     without it the record is reported (Exists). Replacements are counted.
//  4. CSV numbers and booleans are stored as such, not as strings, so range
//     and match filters see them (see Parse for the inference).
//  5. Invalid records fail the whole ingest before anything is written,
//     naming their lines, unless ParseOptions.SkipInvalid asks to skip and
//     report them.
//  6. After a Run without error, Summary.Read = Summary.Written +
//     Summary.Replaced + len(Summary.Skipped).
package ingest
