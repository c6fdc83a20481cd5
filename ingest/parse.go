package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/pointid"
)

// Format is a file format.
type Format string

const (
	// JSONL is JSON Lines: one JSON object a line.
	JSONL Format = "jsonl"
	// CSV is comma-separated values with a header row.
	CSV Format = "csv"
)

// FormatOf returns the format a file name implies: CSV for a .csv file,
// JSONL for anything else (standard input included).
func FormatOf(name string) Format {
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		return CSV
	}
	return JSONL
}

// ParseOptions says how records become points.
type ParseOptions struct {
	// Format is the input's format. Empty means JSONL.
	Format Format
	// IDField is the field holding each point's id (an unsigned integer or
	// a UUID). Empty means "id".
	IDField string
	// AutoID gives records ids when the input has no IDField: a UUID made
	// from the point's content (its text or vector, model and payload), so
	// ingesting the same file again finds its points already there instead
	// of adding them twice. It is an error when the input has IDField.
	AutoID bool
	// VectorField holds each point's vector: a JSON array, or in CSV also
	// space- or comma-separated numbers. Exactly one of VectorField and
	// TextFields is set.
	VectorField string
	// TextFields are joined by ". " into the text the server encodes.
	TextFields []string
	// Model is the text model; empty means the collection's.
	Model string
	// Using names the vector the text or vector fills in a collection
	// with named vectors; empty means the unnamed vector.
	Using string
	// PayloadFields are the fields kept as payload. Nil means every field
	// but the id and the vector.
	PayloadFields []string
	// ListFields hold '|'-separated lists in their string values (as
	// MovieLens genres); they become arrays of strings.
	ListFields []string
	// Types forces fields' types. A CSV column without one is inferred
	// (see Parse); a JSON Lines field without one keeps its JSON type.
	Types map[string]Type
	// SkipInvalid skips records that cannot become points and reports them
	// in Parsed.Skipped. False means Parse fails with an *InvalidError.
	SkipInvalid bool
}

func (o *ParseOptions) idField() string {
	if o.IDField == "" {
		return "id"
	}
	return o.IDField
}

// Validate reports every problem with the options.
func (o *ParseOptions) Validate() error {
	var errs []error
	if o.Format != "" && o.Format != JSONL && o.Format != CSV {
		errs = append(errs, fmt.Errorf("format %q: want jsonl or csv", o.Format))
	}
	if (len(o.TextFields) == 0) == (o.VectorField == "") {
		errs = append(errs, errors.New("want exactly one of text fields and a vector field"))
	}
	for field, t := range o.Types {
		switch {
		case field == o.idField() || field == o.VectorField:
			errs = append(errs, fmt.Errorf("type of %q: the id and vector fields have no payload type", field))
		case slices.Contains(o.ListFields, field):
			errs = append(errs, fmt.Errorf("type of %q: a list field is a list of strings", field))
		case t > TypeString:
			errs = append(errs, fmt.Errorf("type of %q: %v", field, t))
		}
	}
	return errors.Join(errs...)
}

// Reason says why a record was not written.
type Reason string

const (
	// Invalid records cannot become points (bad id, vector or value).
	Invalid Reason = "invalid"
	// Duplicate records repeat an id seen earlier in the input; the first
	// record with an id is the one written.
	Duplicate Reason = "duplicate id in the input"
	// Exists records have ids the collection already holds, and the
	// ingest was not told to overwrite.
	Exists Reason = "already in the collection"
)

// Skip is a record that was not written.
type Skip struct {
	// Line is where the record starts in the input, from 1.
	Line   int
	Reason Reason
	// Detail says more: the error of an invalid record, where a
	// duplicate's id was first seen, the id that exists.
	Detail string
}

func (s Skip) String() string { return fmt.Sprintf("line %d: %s", s.Line, s.Detail) }

// InvalidError is Parse's error when records are invalid and
// SkipInvalid is false.
type InvalidError struct {
	Rows []Skip
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d invalid %s", len(e.Rows), plural(len(e.Rows), "record"))
	for i, r := range e.Rows {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Rows)-i)
			break
		}
		fmt.Fprintf(&b, "; %s", r)
	}
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// Record is one point to write and where it came from.
type Record struct {
	Line  int
	Point client.Point
}

// Column is a CSV column and what it became.
type Column struct {
	Name string
	// Role is "id", "vector" or "list" for those columns, empty for the
	// others, which Type describes.
	Role string
	Type Type
	// Forced is true when ParseOptions.Types gave the type.
	Forced bool
}

func (c Column) String() string {
	switch {
	case c.Role != "":
		return c.Name + " " + c.Role
	case c.Forced:
		return c.Name + " " + c.Type.String() + " (forced)"
	}
	return c.Name + " " + c.Type.String()
}

// Parsed is what Parse read.
type Parsed struct {
	// Read is the number of records in the input (blank lines aside).
	Read int
	// Records are the points to write, in input order, one per id.
	Records []Record
	// Skipped are the duplicates and, with SkipInvalid, the invalid
	// records, in input order.
	Skipped []Skip
	// Columns are the CSV columns in header order; nil for JSON Lines.
	Columns []Column
}

// ErrNoID is Parse's error when the input has no id field and
// ParseOptions.AutoID is false.
var ErrNoID = errors.New("ingest: the records have no id field")

// autoIDSpace is the UUID namespace of AutoID's content-derived ids.
var autoIDSpace = uuid.MustParse("1b6c6f0e-8a3d-4c52-9f0e-5d1e2a7b9c41")

// rawRecord is a record before it becomes a point.
type rawRecord struct {
	line   int
	fields map[string]any
}

// Parse reads the input and turns its records into points.
//
// CSV columns are typed by inference unless ParseOptions.Types forces
// them: a column is int when every non-empty value is an integer written
// as JSON writes it ("1951", not "01951" or "+1951"), else float when
// every one is a JSON number, else bool when every one is true or false
// (any case), else string. Numbers keep their exact text. An empty cell of
// an int, float or bool column leaves the field out of the payload; in a
// string column it is "".
//
// Every record needs an id (see ParseOptions.IDField and AutoID). Of
// records sharing an id the first is kept and the later ones are reported
// as Duplicate.
func Parse(r io.Reader, opts ParseOptions) (*Parsed, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	var (
		raws    []rawRecord
		bad     []Skip
		columns []Column
		err     error
	)
	if opts.Format == CSV {
		raws, bad, columns, err = readCSV(r, &opts)
	} else {
		raws, bad, err = readJSONL(r, &opts)
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	out := &Parsed{Read: len(raws) + len(bad), Columns: columns}
	hasID := columns != nil && slices.ContainsFunc(columns, func(c Column) bool { return c.Role == "id" })
	if columns == nil {
		hasID = slices.ContainsFunc(raws, func(r rawRecord) bool { _, ok := r.fields[opts.idField()]; return ok })
	}
	switch {
	case !hasID && !opts.AutoID && out.Read > 0:
		return nil, fmt.Errorf("%w %q", ErrNoID, opts.idField())
	case hasID && opts.AutoID:
		return nil, fmt.Errorf("ingest: ids made from content were asked for, but the records have an id field %q", opts.idField())
	}
	first := map[pointid.ID]int{}
	for _, raw := range raws {
		p, err := opts.point(raw.fields)
		if err != nil {
			bad = append(bad, Skip{Line: raw.line, Reason: Invalid, Detail: err.Error()})
			continue
		}
		if line, dup := first[p.ID]; dup {
			out.Skipped = append(out.Skipped, Skip{Line: raw.line, Reason: Duplicate,
				Detail: fmt.Sprintf("id %s, first on line %d", p.ID, line)})
			continue
		}
		first[p.ID] = raw.line
		out.Records = append(out.Records, Record{Line: raw.line, Point: p})
	}
	if len(bad) > 0 {
		slices.SortFunc(bad, func(a, b Skip) int { return a.Line - b.Line })
		if !opts.SkipInvalid {
			return nil, fmt.Errorf("ingest: %w", &InvalidError{Rows: bad})
		}
		out.Skipped = append(out.Skipped, bad...)
		slices.SortStableFunc(out.Skipped, func(a, b Skip) int { return a.Line - b.Line })
	}
	return out, nil
}

// readCSV reads a header and rows, types the columns and converts the
// cells. Rows with the wrong number of fields are returned as bad.
func readCSV(r io.Reader, opts *ParseOptions) ([]rawRecord, []Skip, []Column, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, []Column{}, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("csv header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a byte order mark
	}
	seen := map[string]bool{}
	for _, h := range header {
		if seen[h] {
			return nil, nil, nil, fmt.Errorf("csv header: column %q twice", h)
		}
		seen[h] = true
	}
	for field := range opts.Types {
		if !seen[field] {
			return nil, nil, nil, fmt.Errorf("a type is given for column %q, which the header lacks", field)
		}
	}
	var rows [][]string
	var lines []int
	var bad []Skip
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			bad = append(bad, Skip{Line: pe.StartLine, Reason: Invalid,
				Detail: fmt.Sprintf("%d fields, the header has %d", len(row), len(header))})
			continue
		}
		if err != nil {
			return nil, nil, nil, err // a quoting error: csv.ParseError names the line
		}
		line, _ := cr.FieldPos(0)
		rows, lines = append(rows, row), append(lines, line)
	}
	columns := make([]Column, len(header))
	for i, h := range header {
		c := Column{Name: h}
		switch t, forced := opts.Types[h]; {
		case h == opts.idField():
			c.Role = "id"
		case h == opts.VectorField:
			c.Role = "vector"
		case slices.Contains(opts.ListFields, h):
			c.Role = "list"
		case forced && t != TypeAuto:
			c.Type, c.Forced = t, true
		default:
			c.Type = inferType(func(yield func(string) bool) {
				for _, row := range rows {
					if !yield(row[i]) {
						return
					}
				}
			})
		}
		columns[i] = c
	}
	raws := make([]rawRecord, 0, len(rows))
	for n, row := range rows {
		rec := make(map[string]any, len(row))
		var rowErr error
		for i, c := range columns {
			switch c.Role {
			case "id", "vector":
				rec[c.Name] = row[i]
			case "list":
				rec[c.Name] = splitItems(row[i])
			default:
				v, ok, err := convertCell(row[i], c.Type)
				if err != nil {
					rowErr = fmt.Errorf("column %q: %w", c.Name, err)
				} else if ok {
					rec[c.Name] = v
				}
			}
		}
		if rowErr != nil {
			bad = append(bad, Skip{Line: lines[n], Reason: Invalid, Detail: rowErr.Error()})
			continue
		}
		raws = append(raws, rawRecord{line: lines[n], fields: rec})
	}
	return raws, bad, columns, nil
}

// readJSONL reads one object a line; lines that are not objects, or whose
// values do not have their forced types, are returned as bad.
func readJSONL(r io.Reader, opts *ParseOptions) ([]rawRecord, []Skip, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	var raws []rawRecord
	var bad []Skip
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		rec, err := decodeObject(sc.Bytes())
		if err == nil {
			err = opts.typeFields(rec)
		}
		if err != nil {
			bad = append(bad, Skip{Line: line, Reason: Invalid, Detail: err.Error()})
			continue
		}
		raws = append(raws, rawRecord{line: line, fields: rec})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("after %d records: %w", len(raws)+len(bad), err)
	}
	return raws, bad, nil
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // ids and payload integers beyond 2^53 stay exact
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	return rec, nil
}

// typeFields applies Types and ListFields to a JSON record.
func (o *ParseOptions) typeFields(rec map[string]any) error {
	for field, t := range o.Types {
		v, ok := rec[field]
		if !ok {
			continue
		}
		v, ok, err := convertValue(v, t)
		if err != nil {
			return fmt.Errorf("field %q: %w", field, err)
		}
		if ok {
			rec[field] = v
		} else {
			delete(rec, field)
		}
	}
	for _, field := range o.ListFields {
		if s, ok := rec[field].(string); ok {
			rec[field] = splitItems(s)
		}
	}
	return nil
}

func splitItems(s string) []any {
	items := []any{}
	for _, item := range strings.Split(s, "|") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// point turns a record into a point.
func (o *ParseOptions) point(rec map[string]any) (client.Point, error) {
	p := client.Point{Model: o.Model, Using: o.Using, Payload: map[string]any{}}
	if o.VectorField != "" {
		vec, err := parseVector(rec[o.VectorField])
		if err != nil {
			return p, fmt.Errorf("field %q: %w", o.VectorField, err)
		}
		p.Vector = vec
	} else {
		var parts []string
		for _, field := range o.TextFields {
			if s := strings.TrimSpace(textOf(rec[field])); s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) == 0 {
			return p, fmt.Errorf("no text in fields %s", strings.Join(o.TextFields, ", "))
		}
		p.Text = strings.Join(parts, ". ")
	}
	if o.PayloadFields != nil {
		for _, field := range o.PayloadFields {
			if v, ok := rec[field]; ok {
				p.Payload[field] = v
			}
		}
	} else {
		for k, v := range rec {
			if k != o.idField() && k != o.VectorField {
				p.Payload[k] = v
			}
		}
	}
	if o.AutoID {
		content, err := json.Marshal(p) // maps marshal in key order: the same point, the same id
		if err != nil {
			return p, err
		}
		p.ID = pointid.FromUUID(uuid.NewSHA1(autoIDSpace, content))
		return p, nil
	}
	v, ok := rec[o.idField()]
	if !ok || v == "" {
		return p, fmt.Errorf("no id in field %q", o.idField())
	}
	id, err := parseID(v)
	if err != nil {
		return p, err
	}
	p.ID = id
	return p, nil
}

// textOf is a field's value as text: lists joined by ", ".
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = textOf(e)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

func parseID(v any) (pointid.ID, error) {
	switch x := v.(type) {
	case json.Number:
		return pointid.Parse(x.String())
	case string:
		return pointid.Parse(strings.TrimSpace(x))
	}
	return pointid.ID{}, fmt.Errorf("id %v: want an unsigned integer or a UUID", v)
}

func parseVector(v any) ([]float32, error) {
	switch x := v.(type) {
	case []any:
		out := make([]float32, len(x))
		for i, e := range x {
			n, ok := e.(json.Number)
			if !ok {
				return nil, fmt.Errorf("component %d is %v, not a number", i, e)
			}
			f, err := strconv.ParseFloat(n.String(), 32)
			if err != nil {
				return nil, fmt.Errorf("component %d: %w", i, err)
			}
			out[i] = float32(f)
		}
		return out, nil
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "[") {
			var out []float32
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, err
			}
			return out, nil
		}
		fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
		if len(fields) == 0 {
			return nil, errors.New("empty vector")
		}
		out := make([]float32, len(fields))
		for i, f := range fields {
			n, err := strconv.ParseFloat(f, 32)
			if err != nil {
				return nil, fmt.Errorf("component %d: %w", i, err)
			}
			out[i] = float32(n)
		}
		return out, nil
	}
	return nil, fmt.Errorf("missing or not a vector: %v", v)
}
