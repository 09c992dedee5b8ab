package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// The columns a .failed.csv puts before its rows' own, which a retry reads
// back and does not take for template variables: why the row failed; and,
// for a row whose first send may have gone through (504, 409, 422, or no
// reply), the Idempotency-Key it was sent with, which its retry sends
// again, so that the gateway answers it with its first reply rather than a
// second SMS. Any other failed row gets a new key: it may be edited before
// its retry. First, so that a short row needs no padding, which its retry
// would send as empty variables.
const (
	errorColumn = "error"
	keyColumn   = "idempotency_key"
)

// errNoNumber is the failure of a row without a number: certain.
var errNoNumber = errors.New("no number")

// errInterrupted is the failure of a row not sent because the batch was
// interrupted (Ctrl-C, SIGTERM) before its turn: certain.
var errInterrupted = errors.New("not sent: the batch was interrupted")

// bom is UTF-8's byte order mark.
const bom = "\ufeff"

// batch sends the SMS once per row of the CSV file: the number in the
// first column, and, when the first row is a header (its first cell
// "phone"), the other columns as variables by name, over --param's. It
// prints a summary, and writes the rows that failed to <csv>.failed.csv
// with their error, in the same form, for a retry. Any failed row is exit
// status 1.
func (c *sendSMSCmd) batch(ctx context.Context, g *gateway, std streams) error {
	if _, err := g.base(); err != nil {
		return err
	}
	f, err := os.Open(c.CSV)
	if err != nil {
		return usagef("--csv: %v", err)
	}
	defer f.Close()
	// Excel's "CSV UTF-8" begins with a byte order mark, which would
	// otherwise be part of the first cell.
	br := bufio.NewReader(f)
	if b, err := br.Peek(len(bom)); err == nil && string(b) == bom {
		br.Discard(len(bom))
	}
	in := csv.NewReader(br)
	in.FieldsPerRecord = -1
	in.TrimLeadingSpace = true
	rows, err := in.ReadAll()
	if err != nil {
		return usagef("--csv %s: %v", c.CSV, err)
	}
	for i, row := range rows {
		for _, cell := range row {
			if !utf8.ValidString(cell) {
				return usagef("--csv %s: record %d is not UTF-8 (GBK, say): save the file as UTF-8 (Excel: \"CSV UTF-8\")", c.CSV, i+1)
			}
		}
	}
	header := []string{"phone"}
	if len(rows) > 0 && len(rows[0]) > 0 {
		if first := strings.TrimSpace(rows[0][0]); strings.EqualFold(first, "phone") || first == errorColumn {
			header, rows = rows[0], rows[1:]
		}
	}
	// The row's own cells: every column but those a .failed.csv adds.
	keyAt, data, named := -1, []int{}, map[string]bool{}
	for i, name := range header {
		switch name = strings.TrimSpace(name); name {
		case keyColumn:
			keyAt = i
		case errorColumn:
		default:
			// A variable named twice: which column to send is a guess.
			if i > 0 && name != "" && named[name] {
				return usagef("--csv %s: the header names the column %q twice", c.CSV, name)
			}
			named[name] = true
			data = append(data, i)
		}
	}
	// A row whose own cells are all blank (",,", as a spreadsheet saves a
	// row it once formatted) is no row, as an empty line is not.
	rows = slices.DeleteFunc(rows, func(row []string) bool {
		for _, i := range data {
			if i < len(row) && strings.TrimSpace(row[i]) != "" {
				return false
			}
		}
		return true
	})
	if len(rows) == 0 {
		return usagef("--csv %s: no rows to send", c.CSV)
	}
	// Ctrl-C (or SIGTERM) stops the batch once the row under way has its
	// answer, and the rows not sent still go to the failed file, to be
	// sent by its retry; a second one ends the process at once.
	interrupted, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(interrupted, stop)
	var (
		sent   int
		failed [][]string
		prog   = newProgress(std.err, len(rows))
		keys   = map[string]bool{} // the keys of this run's rows
	)
	for _, row := range rows {
		// The cells the row has: a short row leaves its last variables
		// out, rather than send them empty.
		var cells []string
		for _, i := range data {
			if i < len(row) {
				cells = append(cells, row[i])
			}
		}
		key := ""
		if keyAt >= 0 && keyAt < len(row) {
			key = strings.TrimSpace(row[keyAt])
		}
		// A key a person wrote, or copied onto a second row, is not one.
		if !validKey(key) || keys[key] {
			key = newKey()
		}
		keys[key] = true
		err := errInterrupted
		if interrupted.Err() == nil {
			err = c.sendRow(ctx, g, std, columns(header, data), cells, key)
		}
		if err == nil {
			sent++
		} else {
			if !inDoubt(err) {
				key = ""
			}
			failed = append(failed, append([]string{err.Error(), key}, cells...))
		}
		prog.show(sent, len(failed))
	}
	prog.done()
	// With --json, stdout is the replies alone, a JSON object a line.
	summary := std.out
	if g.JSON {
		summary = std.err
	}
	fmt.Fprintf(summary, "sent %d, failed %d, of %d rows\n", sent, len(failed), len(rows))
	if len(failed) == 0 {
		return nil
	}
	path := c.CSV + ".failed.csv"
	out := append([][]string{append([]string{errorColumn, keyColumn}, columns(header, data)...)}, failed...)
	if err := writeCSV(path, out); err != nil {
		// Not lost for all that: the keys of rows in doubt are in them.
		fmt.Fprintf(std.err, "notify: %v; the failed rows are these:\n", err)
		w := csv.NewWriter(std.err)
		w.WriteAll(out)
		return fmt.Errorf("%d of %d rows failed: they are above, not in %s", len(failed), len(rows), path)
	}
	return fmt.Errorf("%d of %d rows failed: they are in %s", len(failed), len(rows), path)
}

// columns returns the cells of row at the indexes at.
func columns(row []string, at []int) []string {
	out := make([]string, len(at))
	for j, i := range at {
		out[j] = row[i]
	}
	return out
}

// newKey returns a new Idempotency-Key for a row.
func newKey() string {
	return "csv-" + rand.Text()
}

// validKey says whether k is a key newKey made.
func validKey(k string) bool {
	t, ok := strings.CutPrefix(k, "csv-")
	return ok && len(t) == len(rand.Text()) && strings.Trim(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == ""
}

// inDoubt says whether the row that failed with err may have been sent:
// the gateway answered 504 (the provider's answer was lost), 409 (its
// first send still under way) or 422 (its key is held by a first request,
// with other flags or cells, that the gateway handed to a provider), or
// did not answer (or a 2xx that is not its reply came back).
func inDoubt(err error) bool {
	var f *refusal
	if errors.As(err, &f) {
		return f.status == http.StatusGatewayTimeout || f.status == http.StatusConflict || f.status/100 == 2 ||
			f.status == http.StatusUnprocessableEntity && f.Reason == "idempotency_key_reused"
	}
	return !errors.Is(err, errNoNumber) && !errors.Is(err, errInterrupted)
}

// sendRow sends the SMS to one row's number, with the Idempotency-Key key.
func (c *sendSMSCmd) sendRow(ctx context.Context, g *gateway, std streams, header, row []string, key string) error {
	if len(row) == 0 || strings.TrimSpace(row[0]) == "" {
		return errNoNumber
	}
	p := make(params, len(c.Param)+len(header))
	for k, v := range c.Param {
		p[k] = v
	}
	for i := 1; i < len(header) && i < len(row); i++ {
		if name := strings.TrimSpace(header[i]); name != "" {
			p[name] = row[i]
		}
	}
	if len(p) == 0 {
		p = nil
	}
	r, err := g.postOnce(ctx, "/sms", key, c.body(g.Group, strings.TrimSpace(row[0]), p))
	if err != nil {
		return err
	}
	if g.JSON { // a line per reply
		var line bytes.Buffer
		if json.Compact(&line, r.body) == nil {
			line.WriteByte('\n')
			std.out.Write(line.Bytes())
		}
	}
	if f := r.refused(); f != nil {
		return f
	}
	return nil
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write the failed rows: %w", err)
	}
	w := csv.NewWriter(f)
	w.WriteAll(rows)
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return fmt.Errorf("write the failed rows to %s: %w", path, err)
	}
	return nil
}

// progress is a line on a terminal, rewritten in place at most every
// progressEvery: rows done of all, and failures. It writes nothing when
// its writer is no terminal (a file, a pipe, a test's buffer).
type progress struct {
	w     io.Writer // nil: not a terminal
	total int
	last  time.Time
}

const progressEvery = 200 * time.Millisecond

func newProgress(w io.Writer, total int) *progress {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return &progress{w: w, total: total}
		}
	}
	return &progress{}
}

func (p *progress) show(sent, failed int) {
	done := sent + failed
	if p.w == nil || done < p.total && time.Since(p.last) < progressEvery {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r%d/%d rows (%d%%), %d failed", done, p.total, 100*done/max(p.total, 1), failed)
}

func (p *progress) done() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
