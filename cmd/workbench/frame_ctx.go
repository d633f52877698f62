package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Ctx is what a command's Run receives: its parsed flags and arguments, the
// frame's common flags, and the ways to report to people and scripts.
type Ctx struct {
	Context        context.Context // cancelled on SIGINT/SIGTERM
	Flags          *flag.FlagSet   // parsed; flags and positionals may be interleaved
	Args           []string        // positional arguments
	JSON           bool            // --json
	Device         string          // --device cpu|gl|auto (default auto)
	Seed           int64           // --seed (default 1)
	Threads        int             // --threads (default runtime.NumCPU())
	Stdout, Stderr io.Writer

	cmd      *Command
	terminal bool // Stderr is a terminal: draw progress bars

	mu       sync.Mutex // serialises writes from goroutines
	done     bool
	warned   map[string]bool
	notes    []string // Notef lines not shown yet
	progress []*Progress
}

// Emit reports one event. With --json it writes the line
// {"event":event, fields...} to stdout; otherwise a short human line.
func (c *Ctx) Emit(event string, fields map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.JSON {
		c.Stdout.Write(jsonLine(event, fields))
		return
	}
	c.clearBarsLocked()
	c.flushNotesLocked()
	var b strings.Builder
	b.WriteString(event)
	for i, k := range sortedKeys(fields) {
		if i == 0 {
			b.WriteString(":")
		}
		fmt.Fprintf(&b, " %s=%s", k, humanValue(fields[k]))
	}
	b.WriteByte('\n')
	io.WriteString(c.Stdout, b.String())
}

// Done reports the final result: with --json the line {"event":"done",...};
// otherwise a table of the fields. Call it once, at the end of Run; a command
// that returns nil without calling it gets an empty done event.
func (c *Ctx) Done(fields map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.done = true
	if c.JSON {
		c.Stdout.Write(jsonLine("done", fields))
		return
	}
	c.clearBarsLocked()
	c.flushNotesLocked()
	writeTable(c.Stdout, fields)
}

// Logf writes a human message line to stderr; it is silent with --json so
// that scripts see only events.
func (c *Ctx) Logf(format string, args ...any) {
	if c.JSON {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearBarsLocked()
	c.flushNotesLocked()
	fmt.Fprintf(c.Stderr, strings.TrimRight(format, "\n")+"\n", args...)
}

// Notef is a note for people (a fallback to the CPU, a split held out)
// that matters only if the command goes on: it is shown on stderr before
// the command's next output (an event, a progress bar, a log line, the
// result), and dropped if the command fails first, so that a failure is one
// line. Silent with --json, as Logf.
func (c *Ctx) Notef(format string, args ...any) {
	if c.JSON {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notes = append(c.notes, fmt.Sprintf(strings.TrimRight(format, "\n"), args...))
}

func (c *Ctx) flushNotesLocked() {
	for _, n := range c.notes {
		fmt.Fprintln(c.Stderr, n)
	}
	c.notes = nil
}

// Warnf reports something the user should know but that does not stop the
// command (a device far slower than expected): a "warning: ..." line on
// stderr, or with --json the event {"event":"warning","message":...}. The
// same warning is reported once per command.
func (c *Ctx) Warnf(format string, args ...any) {
	msg := oneLine(fmt.Sprintf(format, args...))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	if c.warned[msg] {
		return
	}
	c.warned[msg] = true
	if c.JSON {
		c.Stdout.Write(jsonLine("warning", map[string]any{"message": msg}))
		return
	}
	c.clearBarsLocked()
	c.flushNotesLocked()
	fmt.Fprintf(c.Stderr, "warning: %s\n", msg)
}

// emitError writes {"event":"error",...} with --json, so that a script reading
// stdout learns why there is no done line.
func (c *Ctx) emitError(err error, code int) {
	if !c.JSON || c.Stdout == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Stdout.Write(jsonLine("error", map[string]any{"message": oneLine(err.Error()), "exit_code": code}))
}

// jsonLine encodes {"event":event, ...fields sorted by key}. Values that JSON
// cannot hold (NaN, ±Inf) become null rather than failing the whole line.
func jsonLine(event string, fields map[string]any) []byte {
	var b bytes.Buffer
	b.WriteString(`{"event":`)
	e, _ := json.Marshal(event)
	b.Write(e)
	for _, k := range sortedKeys(fields) {
		if k == "event" {
			continue
		}
		key, _ := json.Marshal(k)
		b.WriteByte(',')
		b.Write(key)
		b.WriteByte(':')
		v, err := json.Marshal(sanitizeJSON(fields[k]))
		if err != nil {
			v, _ = json.Marshal(fmt.Sprint(fields[k]))
		}
		b.Write(v)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// sanitizeJSON replaces non-finite floats, at any depth, with nil.
func sanitizeJSON(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int, int32, int64, uint8:
		return v
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil
		}
		return x
	case json.Marshaler:
		return v
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return v
		}
		if et := rv.Type().Elem().Kind(); et != reflect.Float32 && et != reflect.Float64 &&
			et != reflect.Interface && et != reflect.Slice && et != reflect.Map && et != reflect.Array {
			return v
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = sanitizeJSON(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return v
		}
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = sanitizeJSON(iter.Value().Interface())
		}
		return out
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// humanValue formats a value compactly for one line.
func humanValue(v any) string {
	switch x := v.(type) {
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case string:
		if x == "" || strings.ContainsAny(x, " \t") {
			return fmt.Sprintf("%q", x)
		}
		return x
	case []string:
		return strings.Join(x, ",")
	case nil:
		return "-"
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		parts := make([]string, rv.Len())
		sep := " "
		for i := range parts {
			parts[i] = humanValue(rv.Index(i).Interface())
			if reflect.ValueOf(rv.Index(i).Interface()).Kind() == reflect.Map {
				sep = ", "
			}
		}
		if sep == ", " {
			return strings.Join(parts, sep) // records in a cell: "class=Coat prob=0.5, …"
		}
		return "[" + strings.Join(parts, sep) + "]"
	case reflect.Map:
		// Never Go's map[k:v] syntax: "k=v" pairs in key order.
		keys, vals := mapEntries(rv)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + humanValue(vals[i])
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

// mapEntries returns a map's keys as text, in order (numerically when every
// key is a number, as kNN's k values are), with their values.
func mapEntries(rv reflect.Value) ([]string, []any) {
	type entry struct {
		key string
		num float64
		val any
	}
	var es []entry
	numeric := true
	iter := rv.MapRange()
	for iter.Next() {
		k := fmt.Sprint(iter.Key().Interface())
		n, err := strconv.ParseFloat(k, 64)
		numeric = numeric && err == nil
		es = append(es, entry{k, n, iter.Value().Interface()})
	}
	sort.Slice(es, func(i, j int) bool {
		if numeric && es[i].num != es[j].num {
			return es[i].num < es[j].num
		}
		return es[i].key < es[j].key
	})
	keys, vals := make([]string, len(es)), make([]any, len(es))
	for i, e := range es {
		keys[i], vals[i] = e.key, e.val
	}
	return keys, vals
}

func formatFloat(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return fmt.Sprint(x)
	case x == math.Trunc(x) && math.Abs(x) < 1e15:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) >= 0.001 && math.Abs(x) < 1e6:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", x), "0"), ".")
	}
	return fmt.Sprintf("%.4g", x)
}

// writeTable prints done fields for people: scalar fields as aligned
// "key  value" rows, then each list of records as its own table.
func writeTable(w io.Writer, fields map[string]any) {
	keys := sortedKeys(fields)
	width := 0
	var tables []string
	for _, k := range keys {
		if _, ok := records(fields[k]); ok {
			tables = append(tables, k)
			continue
		}
		width = max(width, len(k))
	}
	for _, k := range keys {
		if _, ok := records(fields[k]); ok {
			continue
		}
		if items, ok := longList(fields[k]); ok {
			for i, it := range items {
				label := k
				if i > 0 {
					label = ""
				}
				fmt.Fprintf(w, "%-*s  %s\n", width, label, it)
			}
			continue
		}
		fmt.Fprintf(w, "%-*s  %s\n", width, k, humanValue(fields[k]))
	}
	for _, k := range tables {
		recs, _ := records(fields[k])
		fmt.Fprintf(w, "\n%s:\n", k)
		writeRecords(w, recs)
	}
}

// longList returns the items of a list of strings too long for one line, so
// that a table shows one per line (e.g. the files a command wrote).
func longList(v any) ([]string, bool) {
	items, ok := v.([]string)
	if !ok || len(items) < 2 {
		return nil, false
	}
	n := 0
	for _, it := range items {
		n += len(it) + 1
	}
	return items, n > 72
}

// records returns v as a list of records when it is one ([]map[string]any or
// []any of maps), or a map whose values are all maps (each key becomes the
// "key" column of its row), or a matrix of numbers (rows of columns 0, 1, …).
func records(v any) ([]map[string]any, bool) {
	if recs, ok := mapRecords(v); ok {
		return recs, true
	}
	if recs, ok := matrixRecords(v); ok {
		return recs, true
	}
	switch x := v.(type) {
	case []map[string]any:
		return x, len(x) > 0
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			out = append(out, m)
		}
		return out, len(out) > 0
	}
	return nil, false
}

// mapRecords turns {"1": {"mean": …}, "3": {…}} into rows with a "key"
// column first.
func mapRecords(v any) ([]map[string]any, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Len() == 0 {
		return nil, false
	}
	keys, vals := mapEntries(rv)
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		ev := reflect.ValueOf(vals[i])
		if ev.Kind() != reflect.Map || ev.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		row := map[string]any{keyColumn: k}
		iter := ev.MapRange()
		for iter.Next() {
			row[iter.Key().String()] = iter.Value().Interface()
		}
		out[i] = row
	}
	return out, true
}

// keyColumn names the column of a map's keys; it sorts before the others.
const keyColumn = "key"

// matrixRecords turns a list of equally long lists of numbers (a confusion
// matrix) into rows whose columns are the indices.
func matrixRecords(v any) ([]map[string]any, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || rv.Len() == 0 {
		return nil, false
	}
	var out []map[string]any
	cols := -1
	for i := range rv.Len() {
		row := reflect.ValueOf(rv.Index(i).Interface())
		if row.Kind() != reflect.Slice || (cols >= 0 && row.Len() != cols) {
			return nil, false
		}
		cols = row.Len()
		rec := map[string]any{}
		for j := range cols {
			switch row.Index(j).Kind() {
			case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32:
			default:
				return nil, false
			}
			rec[strconv.Itoa(j)] = row.Index(j).Interface()
		}
		out = append(out, rec)
	}
	return out, cols > 0
}

// writeRecords prints records as columns: "key", "name" and "type" first, then the
// other keys in alphabetical order (numerically when they are numbers).
func writeRecords(w io.Writer, recs []map[string]any) {
	seen := map[string]bool{}
	var cols []string
	for _, first := range []string{keyColumn, "name", "type"} {
		for _, r := range recs {
			if _, ok := r[first]; ok {
				cols = append(cols, first)
				seen[first] = true
				break
			}
		}
	}
	var rest []string
	for _, r := range recs {
		for k := range r {
			if !seen[k] {
				seen[k] = true
				rest = append(rest, k)
			}
		}
	}
	sort.Slice(rest, func(i, j int) bool {
		a, errA := strconv.Atoi(rest[i])
		b, errB := strconv.Atoi(rest[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return rest[i] < rest[j]
	})
	cols = append(cols, rest...)
	cells := make([][]string, len(recs)+1)
	cells[0] = cols
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = len(c)
	}
	for r, rec := range recs {
		row := make([]string, len(cols))
		for i, c := range cols {
			if v, ok := rec[c]; ok {
				row[i] = humanValue(v)
			}
			widths[i] = max(widths[i], len(row[i]))
		}
		cells[r+1] = row
	}
	for _, row := range cells {
		var b strings.Builder
		for i, cell := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			fmt.Fprintf(&b, "%-*s", widths[i], cell)
		}
		fmt.Fprintln(w, "  "+strings.TrimRight(b.String(), " "))
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
