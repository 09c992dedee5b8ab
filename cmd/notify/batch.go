package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
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

	"github.com/seed4ddb146e/notify/shared/notify"
)

// The columns a .failed.csv puts before its rows' own, which a retry reads
// back and does not take for template variables: why the row failed; and,
// for a row whose first send may have gone through (504, 409, 422, or no
// reply), the Idempotency-Key it was sent with, which its retry sends
// again, so that the gateway answers it with its first reply rather than a
// second SMS. Any other failed row's key is left out: it may be edited
// before its retry, which sends it under a key of its own (rowKey). First,
// so that a short row needs no padding, which its retry would send as
// empty variables.
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
	keyAt, errorAt, data, named := -1, -1, []int{}, map[string]bool{}
	for i, name := range header {
		switch name = strings.TrimSpace(name); name {
		case keyColumn:
			keyAt = i
		case errorColumn:
			errorAt = i
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
	// --again sends every row anew: its keys are this run's alone.
	salt := ""
	if c.Again {
		salt = rand.Text()
	}
	var (
		sent, earlier int
		failed        [][]string
		prog          = newProgress(std.err, len(rows))
		keys          = map[string]bool{} // the keys of this run's rows
		seen          = map[string]int{}  // how many rows of each request came before
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
		body, err := c.rowBody(g.Group, columns(header, data), cells)
		key := ""
		if keyAt >= 0 && keyAt < len(row) {
			key = strings.TrimSpace(row[keyAt])
		}
		// A key a person wrote, or copied onto a second row, is not one.
		if !validKey(key) || keys[key] {
			failure := ""
			if errorAt >= 0 && errorAt < len(row) {
				failure = row[errorAt]
			}
			id := string(body) + "\x00" + failure
			key = rowKey(salt, id, seen[id])
			seen[id]++
		}
		keys[key] = true
		replayed := false
		switch {
		case err != nil:
		case interrupted.Err() != nil:
			err = errInterrupted
		default:
			replayed, err = c.sendRow(ctx, g, std, body, key)
		}
		if err == nil {
			sent++
			if replayed {
				earlier++
			}
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
	if earlier > 0 {
		fmt.Fprintf(summary, "%d of the rows sent were sent by an earlier run of this file, and not sent again "+
			"(--again sends every row anew)\n", earlier)
	}
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

// rowKey returns the Idempotency-Key of the n-th row before which n rows
// were the same request, id (its body and, in a .failed.csv, its error),
// in a run with salt ("", unless --again). A run of the same file, after
// a crash or by mistake, sends the same rows under the same keys, and the
// gateway answers those it sent (within its 24 hours) with their first
// replies rather than a second SMS; it frees the keys of those it refused
// (a limit, a provider down), which are sent. A row in doubt goes to the
// failed file with its key; another failed row's error makes its key
// there a new one.
func rowKey(salt, id string, n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "notify csv row\x00%s\x00%d\x00%s", salt, n, id))
	return "csv-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16])
}

// validKey says whether k is a key rowKey made.
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
			f.status == http.StatusUnprocessableEntity && f.Reason == notify.ReasonIdempotencyKeyReused
	}
	return !errors.Is(err, errNoNumber) && !errors.Is(err, errInterrupted)
}

// rowBody is the request that sends the SMS to one row's number, with its
// cells as variables by the header's names, over --param's.
func (c *sendSMSCmd) rowBody(group string, header, row []string) ([]byte, error) {
	if len(row) == 0 || strings.TrimSpace(row[0]) == "" {
		return nil, errNoNumber
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
	body, err := json.Marshal(c.body(group, strings.TrimSpace(row[0]), p))
	if err != nil {
		return nil, fmt.Errorf("encode the request: %w", err)
	}
	return body, nil
}

// sendRow sends a row's request, body, with the Idempotency-Key key, and
// says whether the gateway answered it with the reply of an earlier send.
func (c *sendSMSCmd) sendRow(ctx context.Context, g *gateway, std streams, body []byte, key string) (bool, error) {
	r, err := g.do(ctx, http.MethodPost, "/sms", nil, body, key)
	if err != nil {
		return false, err
	}
	if g.JSON { // a line per reply
		var line bytes.Buffer
		if json.Compact(&line, r.body) == nil {
			line.WriteByte('\n')
			std.out.Write(line.Bytes())
		}
	}
	if f := r.refused(); f != nil {
		return false, f
	}
	return r.replayed, nil
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
