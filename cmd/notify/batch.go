package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// errorColumn is the column a .failed.csv adds to its rows: why each
// failed. Read back for a retry, it is not a template variable.
const errorColumn = "error"

// bom is UTF-8's byte order mark.
const bom = "\ufeff"

// batch sends the SMS once per row of the CSV file: the number in the
// first column, and, when the first row is a header (its first cell
// "phone"), the other columns as variables by name, over --param's. It
// prints a summary, and writes the rows that failed to <csv>.failed.csv
// with their error, in the same form, for a retry. Any failed row is exit
// status 1.
func (c *sendSMSCmd) batch(ctx context.Context, g *gateway, std streams) error {
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
	header := []string{"phone"}
	if len(rows) > 0 && len(rows[0]) > 0 && strings.EqualFold(strings.TrimSpace(rows[0][0]), "phone") {
		header, rows = rows[0], rows[1:]
	}
	if len(rows) == 0 {
		return usagef("--csv %s: no rows to send", c.CSV)
	}
	var (
		sent   int
		failed [][]string
		prog   = newProgress(std.err, len(rows))
	)
	for _, row := range rows {
		err := c.sendRow(ctx, g, std, header, row)
		if err == nil {
			sent++
		} else {
			failed = append(failed, failedRow(row, len(header), err))
		}
		prog.show(sent, len(failed))
	}
	prog.done()
	fmt.Fprintf(std.out, "sent %d, failed %d, of %d rows\n", sent, len(failed), len(rows))
	if len(failed) == 0 {
		return nil
	}
	path := c.CSV + ".failed.csv"
	if err := writeCSV(path, append([][]string{append(header[:len(header):len(header)], errorColumn)}, failed...)); err != nil {
		return err
	}
	return fmt.Errorf("%d of %d rows failed: they are in %s", len(failed), len(rows), path)
}

// failedRow is a row as a .failed.csv has it: its first n cells (empty
// ones added), and why it failed.
func failedRow(row []string, n int, err error) []string {
	out := make([]string, n, n+1)
	copy(out, row)
	return append(out, err.Error())
}

// sendRow sends the SMS to one row's number.
func (c *sendSMSCmd) sendRow(ctx context.Context, g *gateway, std streams, header, row []string) error {
	if len(row) == 0 || strings.TrimSpace(row[0]) == "" {
		return errors.New("no number")
	}
	p := make(params, len(c.Param)+len(header))
	for k, v := range c.Param {
		p[k] = v
	}
	for i := 1; i < len(header) && i < len(row); i++ {
		if name := strings.TrimSpace(header[i]); name != "" && name != errorColumn {
			p[name] = row[i]
		}
	}
	if len(p) == 0 {
		p = nil
	}
	r, err := g.post(ctx, "/sms", c.body(g.Group, strings.TrimSpace(row[0]), p))
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
