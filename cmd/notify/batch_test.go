package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// readCSV reads a CSV file whose rows may differ in length.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in := csv.NewReader(bytes.NewReader(b))
	in.FieldsPerRecord = -1
	rows, err := in.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestCLIBatchInterrupted: Ctrl-C in the middle of a batch stops it once
// the row under way has its answer, and still writes the failed file: the
// rows never sent are there, without a key, and the rows sent are not, so
// that a retry of the failed file sends each row once.
func TestCLIBatchInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	var (
		n    atomic.Int32
		proc atomic.Pointer[os.Process]
	)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 3 { // Ctrl-C while the third row is under way
			proc.Load().Signal(syscall.SIGINT)
			time.Sleep(200 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"Code":"OK","Message":"OK","MessageId":"m"}`)
	}))
	defer gw.Close()
	path := filepath.Join(t.TempDir(), "numbers.csv")
	rows := "phone\n"
	for i := range 10 {
		rows += fmt.Sprintf("137001370%02d\n", i)
	}
	if err := os.WriteFile(path, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t, "notify"), "send", "sms", "--url", gw.URL, "--csv", path, "--sign-name", "notify", "--template", "SMS_0002")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	proc.Store(cmd.Process)
	err := cmd.Wait()
	if cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("interrupted batch: %v, stdout %q, stderr %q; want exit 1 and a summary", err, out.String(), errs.String())
	}
	if _, err := os.Stat(path + ".failed.csv"); err != nil {
		t.Fatalf("interrupted batch wrote no failed file (%v): the rows sent and not sent are lost, and a re-run sends twice", err)
	}
	failed := readCSV(t, path+".failed.csv")
	if len(failed) != 8 || failed[1][2] != "13700137003" {
		t.Fatalf("failed rows %q; want the header and rows 4 to 10", failed)
	}
	for _, row := range failed[1:] {
		if row[1] != "" || !strings.Contains(row[0], "interrupted") {
			t.Errorf("a row never sent: %q; want it interrupted, without a key", row)
		}
	}
	if !strings.Contains(out.String(), "sent 3, failed 7, of 10 rows") {
		t.Errorf("stdout %q; want the summary", out.String())
	}
	if got := n.Load(); got != 3 {
		t.Errorf("the gateway got %d requests; want 3: none after Ctrl-C", got)
	}
}

// TestCLIBatchRetryKeyReused: a row in doubt keeps its key in the failed
// file; a retry of that file with other flags is refused 422 (the key was
// first used with another request), which says nothing of whether the
// first send went out: the row must keep its key, or the next retry sends
// a second SMS where the first may have been delivered.
func TestCLIBatchRetryKeyReused(t *testing.T) {
	url, ali := startAliyunGateway(t)
	path := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(path, []byte("phone,name\n13700137001,Ann\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	send := func(file string, extra ...string) (string, string, int) {
		t.Helper()
		return notifyCLI(t, append([]string{"send", "sms", "--url", url, "--csv", file, "--sign-name", "notify", "--template", "SMS_0002"}, extra...)...)
	}
	ali.Fail(acs.AcceptThenDrop().Times(1))
	if out, _, status := send(path, "--param", "shop=corner"); status != 1 || !strings.Contains(out, "failed 1") {
		t.Fatalf("first run: exit %d, %q; want Ann's row in doubt", status, out)
	}
	first := readCSV(t, path+".failed.csv")
	// The retry forgets --param: another request under the same key.
	retry := path + ".failed.csv"
	if out, errs, status := send(retry); status != 1 || !strings.Contains(out, "failed 1") {
		t.Fatalf("retry with other flags: exit %d, %q %q; want it refused", status, out, errs)
	}
	second := readCSV(t, retry+".failed.csv")
	if !strings.Contains(second[1][0], "idempotency_key_reused") || second[1][1] != first[1][1] {
		t.Errorf("after a 422, failed row %q; want it still with its key %q", second[1], first[1][1])
	}
	// The retry of that, with the right flags: the first reply, not a second SMS.
	send(retry+".failed.csv", "--param", "shop=corner")
	n := 0
	for _, s := range ali.Sends() {
		if slices.Contains(s.PhoneNumbers, "13700137001") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Aliyun got %d SMS for Ann; want 1", n)
	}
}

// TestCLIBatchBadURL: a --url that is no http(s) URL is a usage error
// before any row, exit 2 as for one send, not a batch of rows that all
// failed, in doubt, into a failed file.
func TestCLIBatchBadURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(path, []byte("phone\n13700137001\n13700137002\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, status := notifyCLI(t, "send", "sms", "--url", "localhost:8010", "--csv", path, "--sign-name", "notify", "--template", "SMS_0002")
	if status != 2 || !strings.Contains(errs, "--url") {
		t.Errorf("a bad --url: exit %d\nstdout %q\nstderr %q\nwant 2 naming --url", status, out, errs)
	}
	if _, err := os.Stat(path + ".failed.csv"); err == nil {
		t.Errorf("a bad --url wrote %s.failed.csv; want no failed file", path)
	}
}

// TestCLIBatchJSON: with --json, a batch's stdout is JSON, a reply a line,
// as a script reads it (jq, a JSON Lines reader); the summary goes to
// stderr.
func TestCLIBatchJSON(t *testing.T) {
	url, _ := startGateway(t, nil)
	path := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(path, []byte("phone,name\n13700137001,Ann\n12345,Bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, status := notifyCLI(t, "send", "sms", "--url", url, "--csv", path, "--sign-name", "notify", "--template", "SMS_0002", "--json")
	if status != 1 || !strings.Contains(errs, "sent 1, failed 1, of 2 rows") {
		t.Errorf("exit %d, stderr %q; want 1 and the summary", status, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("--json printed the line %q, which is no JSON; stdout:\n%s", l, out)
		}
	}
	if len(lines) != 2 {
		t.Errorf("--json printed %d lines; want a reply a row", len(lines))
	}
}

// TestCLIBatchBlankRows: rows with no cell filled in (",,", as a
// spreadsheet saves rows it once formatted, or blanks) are no rows, as an
// empty line is not: they are not sent, not failures, and not put in a
// failed file whose retry could never mend them. A row with cells but no
// number still fails.
func TestCLIBatchBlankRows(t *testing.T) {
	url, _ := startGateway(t, nil)
	path := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(path, []byte("phone,name\r\n13700137001,Ann\r\n,\r\n, ,\r\n   \r\n13700137002,Bob\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, status := notifyCLI(t, "send", "sms", "--url", url, "--csv", path, "--sign-name", "notify", "--template", "SMS_0002")
	if status != 0 || !strings.Contains(out, "sent 2, failed 0, of 2 rows") {
		t.Errorf("blank rows: exit %d\nstdout %q\nstderr %q\nwant 0 and 2 rows sent", status, out, errs)
	}
	if err := os.WriteFile(path, []byte("phone,name\n,Ann\n,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, status = notifyCLI(t, "send", "sms", "--url", url, "--csv", path, "--sign-name", "notify", "--template", "SMS_0002")
	if status != 1 || !strings.Contains(out, "sent 0, failed 1, of 1 rows") {
		t.Errorf("a row without a number: exit %d, %q; want it failed", status, out)
	}
}

// TestCLINotTheGateway: a --url that answers 200 with something that is
// not the gateway's JSON (a web server's welcome page, a proxy's login
// page) sent nothing: the send fails, exit 1, and a batch counts no row
// as sent.
func TestCLINotTheGateway(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>Welcome to nginx!</body></html>")
	}))
	defer web.Close()
	path := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(path, []byte("phone\n13700137001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, status := notifyCLI(t, "send", "sms", "--url", web.URL, "--csv", path, "--sign-name", "notify", "--template", "SMS_0002")
	if status != 1 || !strings.Contains(out, "sent 0, failed 1") {
		t.Errorf("a batch to a web server: exit %d\nstdout %q\nstderr %q\nwant 1, no row sent", status, out, errs)
	}
	// Whatever answered may stand in front of the gateway: the row keeps
	// its key, which costs nothing if the gateway never saw it.
	if failed := readCSV(t, path+".failed.csv"); len(failed) != 2 || !strings.HasPrefix(failed[1][1], "csv-") {
		t.Errorf("failed rows %q; want the row with its key", failed)
	}
	for _, args := range [][]string{
		{"send", "sms", "--to", "13700137001", "--sign-name", "notify", "--template", "SMS_0002"},
		{"send", "mail", "--to", "a@example.com", "--subject", "x"},
		{"code", "verify", "--to", "13700137001", "--code", "123456"},
	} {
		out, errs, status := notifyCLI(t, append(args, "--url", web.URL)...)
		if status != 1 || !strings.Contains(errs, "Welcome to nginx") {
			t.Errorf("notify %s to a web server: exit %d\nstdout %q\nstderr %q\nwant 1 and what it answered", args[:2], status, out, errs)
		}
	}
}

// TestCLIBatchDuplicateColumn: a header that names a variable twice is
// refused before anything is sent, rather than one of the two columns
// silently sent and the other dropped.
func TestCLIBatchDuplicateColumn(t *testing.T) {
	url, st := startGateway(t, nil)
	path := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(path, []byte("phone,name,shop,name \n13700137001,Ann,corner,Bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs, status := notifyCLI(t, "send", "sms", "--url", url, "--csv", path, "--sign-name", "notify", "--template", "SMS_0002")
	if status != 2 || !strings.Contains(errs, `"name"`) {
		t.Errorf("a column named twice: exit %d, stderr %q; want 2 naming it", status, errs)
	}
	if _, n, err := st.FindMessages(t.Context(), notify.MessageQuery{GroupID: "demo", Limit: 10}); err != nil || n != 0 {
		t.Errorf("%d messages, %v; want none sent", n, err)
	}
}

// TestCLIBatchFailedFileUnwritable: when the failed file cannot be
// written (the CSV's folder is read-only, say), the failed rows, keys of
// rows in doubt included, are not lost: they go to stderr as CSV.
func TestCLIBatchFailedFileUnwritable(t *testing.T) {
	url, ali := startAliyunGateway(t)
	path := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(path, []byte("phone,name\n13700137001,Ann\n13700137002,Bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path+".failed.csv", 0o700); err != nil { // no file can be made there
		t.Fatal(err)
	}
	ali.Fail(acs.AcceptThenDrop().Times(1))
	_, errs, status := notifyCLI(t, "send", "sms", "--url", url, "--csv", path, "--sign-name", "notify", "--template", "SMS_0002")
	if status != 1 {
		t.Errorf("exit %d; want 1", status)
	}
	if !strings.Contains(errs, "error,idempotency_key,phone,name") || !strings.Contains(errs, ",csv-") || !strings.Contains(errs, "13700137001,Ann") {
		t.Errorf("stderr %q; want the failed rows as CSV, Ann's with its key", errs)
	}
}

// TestCLIBatchRunAgain: a second run of a file, as after a crash that
// left no failed file, sends only the rows the first did not: the rows
// have the same keys, and the gateway answers those it sent with their
// first replies. --again sends every row anew.
func TestCLIBatchRunAgain(t *testing.T) {
	url, ali := startAliyunGateway(t)
	path := filepath.Join(t.TempDir(), "numbers.csv")
	run := func(rows string, flags ...string) string {
		t.Helper()
		if err := os.WriteFile(path, []byte(rows), 0o600); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"send", "sms", "--url", url, "--csv", path, "--sign-name", "notify",
			"--template", "SMS_0002"}, flags...)
		out, errs, status := notifyCLI(t, args...)
		if status != 0 {
			t.Fatalf("the batch: exit %d\n%s\n%s", status, out, errs)
		}
		return out
	}
	const two = "phone,name\n13700137101,Ann\n13700137102,Bob\n"
	run(two)
	out := run(two)
	if n := len(ali.Sends()); n != 2 || !strings.Contains(out, "sent 2, failed 0, of 2 rows") ||
		!strings.Contains(out, "2 of the rows sent were sent by an earlier run") {
		t.Errorf("the same file again: %d sends in all, printed %q; want 2, and both rows answered from the first run", n, out)
	}
	out = run(two + "13700137103,Cy\n")
	if n := len(ali.Sends()); n != 3 || !strings.Contains(out, "2 of the rows sent were sent by an earlier run") {
		t.Errorf("with a row more: %d sends in all, printed %q; want 3", n, out)
	}
	out = run(two+"13700137103,Cy\n", "--again")
	if n := len(ali.Sends()); n != 6 || strings.Contains(out, "earlier run") {
		t.Errorf("--again: %d sends in all, printed %q; want 6", n, out)
	}
}
