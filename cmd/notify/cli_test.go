package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
)

// startGateway serves the real gateway, every function's handler on the
// platform's local server, on 127.0.0.1: on the embedded defaults with the
// records in a new SQLite file, and vars over them. It returns the
// gateway's URL and its store. The client's environment (NOTIFY_URL,
// NOTIFY_KEY, NOTIFY_GROUP) is cleared for the test.
func startGateway(t *testing.T, vars map[string]string) (string, notify.Store) {
	t.Helper()
	for _, k := range []string{"NOTIFY_URL", "NOTIFY_KEY", "NOTIFY_GROUP", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "notify.db")
	cfg, err := config.Load(func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		if k == "NOTIFY_DATABASE_URL" {
			return db
		}
		return config.LocalDefault(k)
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := platform.Logger(io.Discard, slog.LevelInfo)
	h, _, err := gatewayHandler(t.Context(), log, cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	f, err := platform.New(h, platform.Options{Name: "notify", Ready: st.Ping})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String(), st
}

// notifyCLI runs the command line args in-process, as main does, and
// returns what it printed and its exit status.
func notifyCLI(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errs bytes.Buffer
	status = run(t.Context(), args, streams{out: &out, err: &errs}, func(string) string { return "" })
	return out.String(), errs.String(), status
}

// mustRun runs args, which must succeed.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, status := notifyCLI(t, args...)
	if status != 0 {
		t.Fatalf("notify %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), status, out, errs)
	}
	return out
}

// TestCLISendStatus sends an SMS, as a table and as --json, and asks its
// status by MessageId.
func TestCLISendStatus(t *testing.T) {
	url, _ := startGateway(t, nil)
	out := mustRun(t, "send", "sms", "--url", url, "--to", "13800138000", "--sign-name", "notify",
		"--template", "SMS_0001", "--param", "code=654321")
	for _, want := range []string{"Code ", "OK (sandbox: not sent)", "MessageId ", "Provider ", "sandbox"} {
		if !strings.Contains(out, want) {
			t.Errorf("send sms printed %q; want a line with %q", out, want)
		}
	}

	out = mustRun(t, "send", "sms", "--url", url, "--to", "13800138001,13800138002", "--sign-name", "notify",
		"--template", "SMS_0002", "--param", "name=Ann", "--out-id", "ref-1", "--json")
	var rep struct{ Code, MessageId string }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Code != "OK" || rep.MessageId == "" ||
		strings.Count(out, "\n") != 1 {
		t.Fatalf("send sms --json printed %q (%v); want the reply's JSON, one line", out, err)
	}

	out = mustRun(t, "status", "sms", "--url", url, "--message-id", rep.MessageId)
	for _, want := range []string{"MESSAGE ID", rep.MessageId, "submitted", "13800138001", "13800138002", "1 of 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("status sms printed\n%s\nwant %q in it", out, want)
		}
	}
	out = mustRun(t, "status", "sms", "--url", url, "--message-id", rep.MessageId, "--json")
	var page struct {
		Code     string
		Messages []struct{ MessageId, OutId string }
	}
	if err := json.Unmarshal([]byte(out), &page); err != nil || page.Code != "OK" || len(page.Messages) != 1 ||
		page.Messages[0].MessageId != rep.MessageId || page.Messages[0].OutId != "ref-1" {
		t.Errorf("status sms --json printed %s (%v); want the message with OutId ref-1", out, err)
	}
}

// startAliyunGateway starts the gateway with the fake Aliyun SMS service,
// which keeps what it was sent, as its SMS provider, and returns the
// gateway's URL and the fake.
func startAliyunGateway(t *testing.T) (string, *dysmsapi.Server) {
	t.Helper()
	const ak, secret = "LTAI-cli-test", "cli-test-secret"
	ali := dysmsapi.New(dysmsapi.Config{AccessKeyID: ak, AccessKeySecret: secret})
	aliSrv := httptest.NewServer(ali)
	t.Cleanup(aliSrv.Close)
	url, _ := startGateway(t, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": ak,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret, "NOTIFY_ALIYUN_SMS_ENDPOINT": aliSrv.URL})
	return url, ali
}

// TestCLICode sends a code through the fake Aliyun SMS service, which
// keeps what it was sent, and verifies it: a wrong code first, then the
// right one, then the right one again, which is used up.
func TestCLICode(t *testing.T) {
	url, ali := startAliyunGateway(t)

	out := mustRun(t, "code", "send", "--url", url, "--to", "13900139000", "--scene", "login")
	if !strings.Contains(out, "ExpiresIn") || !strings.Contains(out, "aliyun") {
		t.Errorf("code send printed %q; want ExpiresIn and the provider", out)
	}
	sends := ali.Sends()
	if len(sends) != 1 {
		t.Fatalf("the fake got %d SMS; want 1", len(sends))
	}
	var param struct{ Code string }
	if err := json.Unmarshal([]byte(sends[0].TemplateParam), &param); err != nil || len(param.Code) != 6 {
		t.Fatalf("the SMS's TemplateParam is %q (%v); want a 6-digit code", sends[0].TemplateParam, err)
	}
	wrong := "000000"
	if param.Code == wrong {
		wrong = "111111"
	}

	_, errs, status := notifyCLI(t, "code", "verify", "--url", url, "--to", "13900139000", "--code", wrong)
	if status != 1 || !strings.Contains(errs, "mismatch") {
		t.Errorf("verify a wrong code: exit %d, stderr %q; want 1 and the Reason mismatch", status, errs)
	}
	out = mustRun(t, "code", "verify", "--url", url, "--to", "13900139000", "--code", param.Code, "--json")
	if !strings.Contains(out, `"Verified":true`) {
		t.Errorf("verify the code sent printed %q; want Verified true", out)
	}
	_, errs, status = notifyCLI(t, "code", "verify", "--url", url, "--to", "13900139000", "--code", param.Code)
	if status != 1 || !strings.Contains(errs, "not_found") {
		t.Errorf("verify a used code: exit %d, stderr %q; want 1 and the Reason not_found", status, errs)
	}
}

// TestCLIMail sends a mail with two attachments, and finds it by status.
func TestCLIMail(t *testing.T) {
	url, _ := startGateway(t, nil)
	dir := t.TempDir()
	for name, content := range map[string]string{"report.txt": "hello", "data.bin": "\x00\x01\x02"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := mustRun(t, "send", "mail", "--url", url, "--to", "someone@example.com", "--cc", "other@example.com",
		"--subject", "Report", "--body", "<p>attached</p>", "--html",
		"--attach", filepath.Join(dir, "report.txt"), "--attach", filepath.Join(dir, "data.bin"), "--json")
	var rep struct{ Code, MessageId string }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Code != "OK" {
		t.Fatalf("send mail printed %q (%v); want Code OK", out, err)
	}
	out = mustRun(t, "status", "mail", "--url", url, "--message-id", rep.MessageId)
	if !strings.Contains(out, "someone@example.com") {
		t.Errorf("status mail printed\n%s\nwant the recipient", out)
	}

	_, errs, status := notifyCLI(t, "send", "mail", "--url", url, "--to", "someone@example.com", "--subject", "x",
		"--attach", filepath.Join(dir, "missing.pdf"))
	if status != 2 || !strings.Contains(errs, "--attach") {
		t.Errorf("a missing attachment: exit %d, stderr %q; want 2 naming --attach", status, errs)
	}
}

// TestCLIBatch sends to the rows of a CSV file, one of them a bad number:
// 2 sent, 1 failed, and that row in the .failed.csv with its error.
func TestCLIBatch(t *testing.T) {
	url, _ := startGateway(t, nil)
	path := filepath.Join(t.TempDir(), "numbers.csv")
	rows := "phone,name\n13700137001,Ann\n12345,Bob\n13700137003,Cy\n"
	if err := os.WriteFile(path, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, status := notifyCLI(t, "send", "sms", "--url", url, "--csv", path, "--sign-name", "notify",
		"--template", "SMS_0002", "--param", "shop=corner")
	if status != 1 || !strings.Contains(out, "sent 2, failed 1, of 3 rows") || !strings.Contains(errs, "numbers.csv.failed.csv") {
		t.Errorf("the batch: exit %d\nstdout %q\nstderr %q\nwant 1, the summary, and the failed file named", status, out, errs)
	}
	f, err := os.Open(path + ".failed.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	failed, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// A row refused before anything was sent keeps no key: it may be
	// mended, and its retry is a new send.
	if len(failed) != 2 || strings.Join(failed[0], ",") != "error,idempotency_key,phone,name" ||
		!strings.Contains(failed[1][0], "invalid_phone") || failed[1][1] != "" || failed[1][2] != "12345" || failed[1][3] != "Bob" {
		t.Errorf("failed rows: %q; want the header and the row of 12345 with its error and no key", failed)
	}

	// The sends carried the row's variable and --param's.
	out = mustRun(t, "status", "sms", "--url", url, "--to", "13700137003", "--date", time.Now().In(notify.Beijing).Format("20060102"), "--json")
	if !strings.Contains(out, `"TotalCount":1`) {
		t.Errorf("status of a row's number: %s; want its message", out)
	}
}

// TestCLIBatchRetry: a retry of the .failed.csv sends a row whose first
// send may have gone through (504: the provider took it, then the
// connection dropped) with the Idempotency-Key of that send, so it is not
// sent again, short row or not; a row that certainly failed (502, or
// Aliyun's refusal of the number) gets a new key, and is sent, mended or
// not. The file keeps its columns, round after round.
func TestCLIBatchRetry(t *testing.T) {
	url, ali := startAliyunGateway(t)
	path := filepath.Join(t.TempDir(), "numbers.csv")
	write := func(rows string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(rows), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	send := func(file string) (string, int) {
		t.Helper()
		out, _, status := notifyCLI(t, "send", "sms", "--url", url, "--csv", file, "--sign-name", "notify", "--template", "SMS_0002")
		return out, status
	}
	readFailed := func() [][]string {
		t.Helper()
		return readCSV(t, path+".failed.csv")
	}
	sendsTo := func(number string) int {
		n := 0
		for _, s := range ali.Sends() {
			if slices.Contains(s.PhoneNumbers, number) {
				n++
			}
		}
		return n
	}
	// Ann's row is short: it has no shop.
	write("phone,name,shop\n13700137001,Ann\n13700137002,Bob,corner\n")
	ali.Fail(acs.AcceptThenDrop().Times(1))
	if out, status := send(path); status != 1 || !strings.Contains(out, "sent 1, failed 1") {
		t.Fatalf("the batch: exit %d, %q; want Ann's row in doubt", status, out)
	}
	first := readFailed()
	if len(first) != 2 || strings.Join(first[0], ",") != "error,idempotency_key,phone,name,shop" ||
		!strings.Contains(first[1][0], "provider_outcome_unknown") || !strings.Contains(first[1][0], "MessageId ") ||
		!strings.HasPrefix(first[1][1], "csv-") || !slices.Equal(first[1][2:], []string{"13700137001", "Ann"}) {
		t.Fatalf("failed rows %q; want Ann's, in doubt, with its MessageId and key, and no shop", first)
	}
	if s := ali.Sends(); len(s) != 2 || s[0].TemplateParam != `{"name":"Ann"}` {
		t.Fatalf("sends %+v; want Ann's first, without a shop", s)
	}
	// The retry of the failed file, twice: Ann's SMS, which Aliyun took,
	// is not sent again; the gateway answers with its first reply.
	for range 2 {
		if out, status := send(path + ".failed.csv"); status != 1 || !strings.Contains(out, "sent 0, failed 1") {
			t.Fatalf("the retry: exit %d, %q; want the row still in doubt", status, out)
		}
		if again := readFailed(); len(again) != 2 || !slices.Equal(again[0], first[0]) || !slices.Equal(again[1][1:], first[1][1:]) ||
			!strings.Contains(again[1][0], "provider_outcome_unknown") {
			t.Fatalf("after a retry, failed rows %q; want those of the first round, %q", again, first)
		}
	}
	if n := sendsTo("13700137001"); n != 1 {
		t.Errorf("Aliyun got %d SMS for Ann; want 1", n)
	}
	// Rows that certainly failed get no key, and their retry is sent:
	// one as it was, one mended.
	for _, tc := range []struct {
		name         string
		fault        acs.Fault
		retryNumber  string
		sentToNumber string
	}{
		{"unavailable", acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"), "13700137003", "13700137003"},
		{"number refused", acs.Business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"), "13700137005", "13700137005"},
	} {
		write("13700137003\n")
		ali.Fail(tc.fault.Times(1))
		if _, status := send(path); status != 1 {
			t.Fatalf("%s: exit %d; want the row failed", tc.name, status)
		}
		failed := readFailed()
		if len(failed) != 2 || failed[1][1] != "" {
			t.Fatalf("%s: failed rows %q; want the row without a key", tc.name, failed)
		}
		failed[1][2] = tc.retryNumber
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.WriteAll(failed)
		if err := os.WriteFile(path+".failed.csv", b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		before := sendsTo(tc.sentToNumber)
		if out, status := send(path + ".failed.csv"); status != 0 || !strings.Contains(out, "sent 1, failed 0") {
			t.Errorf("%s: the retry: exit %d, %q; want it sent", tc.name, status, out)
		}
		if n := sendsTo(tc.sentToNumber) - before; n != 1 {
			t.Errorf("%s: Aliyun took %d SMS for %s on the retry; want 1", tc.name, n, tc.sentToNumber)
		}
	}
	// A key a person wrote in the file, or one on two rows, is replaced.
	write("phone,idempotency_key\n13700137006,order 1\n13700137007,order 1\n")
	if out, status := send(path); status != 0 || !strings.Contains(out, "sent 2, failed 0") {
		t.Errorf("rows with keys of a person's: exit %d, %q; want both sent", status, out)
	}
}

// TestCLIBatchNotUTF8: a file saved in GBK is refused before anything is
// sent, saying how to save it.
func TestCLIBatchNotUTF8(t *testing.T) {
	url, st := startGateway(t, nil)
	path := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(path, []byte("phone,name\n13700137001,Ann\n13700137002,\xd5\xc5\xc8\xfd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs, status := notifyCLI(t, "send", "sms", "--url", url, "--csv", path, "--sign-name", "notify", "--template", "SMS_0002")
	if status != 2 || !strings.Contains(errs, "record 3 is not UTF-8") || !strings.Contains(errs, "CSV UTF-8") {
		t.Errorf("a GBK file: exit %d, stderr %q; want 2 naming the record and how to save the file", status, errs)
	}
	if _, n, err := st.FindMessages(t.Context(), notify.MessageQuery{GroupID: "demo", Limit: 10}); err != nil || n != 0 {
		t.Errorf("%d messages, %v; want none sent", n, err)
	}
}

// TestServeCallbackPathNotClean: the local server answers a receipt's path
// that is not clean 404, as the callback function does, rather than
// redirect it to its clean form with the token in Location.
func TestServeCallbackPathNotClean(t *testing.T) {
	const token = "local-callback-token-0123456789"
	url, _ := startGateway(t, map[string]string{"NOTIFY_CALLBACK_TOKEN": token})
	for _, path := range []string{"/callback/" + token + "//aliyun/sms-report", "/callback/" + token + "/x/../aliyun/sms-report",
		"//callback/" + token + "/aliyun/sms-report", "/./callback/" + token + "/aliyun/sms-report",
		"/x/../callback/" + token + "/aliyun/sms-report"} {
		res, err := http.Post(url+path, "application/json", strings.NewReader("[]"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || strings.Contains(res.Header.Get("Location"), token) {
			t.Errorf("POST %s: %d, Location %q; want 404 and no token", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, err := http.Post(url+"/callback/"+token+"/aliyun/sms-report", "application/json", strings.NewReader("[]"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest { // an empty push, refused by the route itself
		t.Errorf("POST the clean path: %d; want 400 from the route", res.StatusCode)
	}
}

// TestServeNoSuchRoute: a path outside every function's routes gets the
// gateway's JSON 404, no_such_route, as one below a function's name does,
// not the mux's plain text.
func TestServeNoSuchRoute(t *testing.T) {
	url, _ := startGateway(t, nil)
	for _, path := range []string{"/nope", "/callbackx", "/sms/nope"} {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct{ Code, Reason string }
		err = json.NewDecoder(res.Body).Decode(&rep)
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || err != nil || rep.Reason != "no_such_route" ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s: %d %s, %+v, %v; want 404 JSON no_such_route", path, res.StatusCode,
				res.Header.Get("Content-Type"), rep, err)
		}
	}
}

// TestCLIBatchBOM: a file as Excel saves "CSV UTF-8" (a byte order mark,
// CRLF) reads as the same file without them: its header is a header, its
// first number a number.
func TestCLIBatchBOM(t *testing.T) {
	url, _ := startGateway(t, nil)
	for _, tc := range []struct {
		name, rows string
		want       int
	}{
		{"a header", "\ufeffphone,name\r\n13700137001,Ann\r\n", 1},
		{"no header", "\ufeff13700137001\r\n13700137002\r\n", 2},
	} {
		path := filepath.Join(t.TempDir(), "numbers.csv")
		if err := os.WriteFile(path, []byte(tc.rows), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errs, status := notifyCLI(t, "send", "sms", "--url", url, "--csv", path, "--sign-name", "notify",
			"--template", "SMS_0002")
		if want := fmt.Sprintf("sent %d, failed 0, of %d rows", tc.want, tc.want); status != 0 || !strings.Contains(out, want) {
			t.Errorf("%s and a BOM: exit %d\nstdout %q\nstderr %q\nwant 0 and %q", tc.name, status, out, errs, want)
		}
	}
}

// TestCLIUsage: help exits 0, a bad command line 2, naming the flag.
func TestCLIUsage(t *testing.T) {
	tests := []struct {
		args       []string
		wantStatus int
		wantOut    string // in stdout
		wantErr    string // in stderr
	}{
		{[]string{"--help"}, 0, "send sms", ""},
		{[]string{"send", "sms", "--help"}, 0, "--sign-name", ""},
		{[]string{"status", "mail", "--help"}, 0, "--message-id", ""},
		{[]string{"send", "sms", "--bogus"}, 2, "", "--bogus"},
		{[]string{"send", "sms", "--sign-name", "s", "--template", "t"}, 2, "", "--to"},
		{[]string{"send", "sms", "--to", "13800138000", "--template", "t"}, 2, "", "--sign-name"},
		{[]string{"send", "sms", "--to", "13800138000", "--csv", "x.csv", "--sign-name", "s", "--template", "t"}, 2, "", "--csv"},
		{[]string{"send", "sms", "--to", "1", "--sign-name", "s", "--template", "t", "--param", "novalue"}, 2, "", "--param"},
		{[]string{"code", "send", "--to", "1", "--channel", "fax"}, 2, "", "--channel"},
		{[]string{"status", "sms"}, 2, "", "--message-id"},
		{[]string{"status", "sms", "--to", "13800138000"}, 2, "", "--date"},
		{[]string{"send", "sms", "--url", "localhost:1", "--to", "1", "--sign-name", "s", "--template", "t"}, 2, "", "--url"},
		{[]string{"bogus"}, 2, "", "bogus"},
		{[]string{"help"}, 0, "send sms", ""},
		{[]string{"help", "send", "sms"}, 0, "--sign-name", ""},
		{[]string{"help", "bogus"}, 2, "", "bogus"},
		{[]string{"version"}, 0, "go1", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errs, status := notifyCLI(t, tt.args...)
			if status != tt.wantStatus || !strings.Contains(out, tt.wantOut) || !strings.Contains(errs, tt.wantErr) {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit %d, %q in stdout, %q in stderr",
					status, out, errs, tt.wantStatus, tt.wantOut, tt.wantErr)
			}
		})
	}
}

// TestCLIWrongKey: a group with keys refuses a wrong one, and the client
// says why and exits 1; the right key sends.
func TestCLIWrongKey(t *testing.T) {
	const key = "shop-key-0123456789abcdef"
	url, _ := startGateway(t, map[string]string{"NOTIFY_GROUPS": `[{"id":"shop","channels":["sms"],"keys":["` + key + `"]}]`})
	args := []string{"send", "sms", "--url", url, "--group", "shop", "--to", "13800138000", "--sign-name", "notify",
		"--template", "SMS_0002"}
	out, errs, status := notifyCLI(t, append(args, "--key", "shop-key-not-the-right-one")...)
	if status != 1 || !strings.Contains(errs, "wrong_key") || !strings.Contains(errs, "401") || out != "" {
		t.Errorf("a wrong key: exit %d\nstdout %q\nstderr %q\nwant 1 and the Reason wrong_key", status, out, errs)
	}
	t.Setenv("NOTIFY_KEY", key)
	mustRun(t, args...)
}

// TestHealth asks the local server's health routes: up and ready, then
// with the store closed, not ready.
func TestHealth(t *testing.T) {
	url, st := startGateway(t, nil)
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, strings.TrimSpace(string(body))
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, body := get(path); status != 200 || body != `{"status":"ok"}` {
			t.Errorf("GET %s = %d %s; want 200 ok", path, status, body)
		}
	}
	st.Close()
	if status, body := get("/readyz"); status != 503 || body != `{"status":"unavailable","reason":"store_unavailable"}` {
		t.Errorf("GET /readyz with the store closed = %d %s; want 503 store_unavailable", status, body)
	}
	if status, _ := get("/healthz"); status != 200 {
		t.Errorf("GET /healthz with the store closed = %d; want 200", status)
	}
}

// TestCLIBatchEmpty: a CSV with no rows to send, empty or a header alone,
// is a usage error naming --csv, not a batch of nothing that succeeded.
func TestCLIBatchEmpty(t *testing.T) {
	for name, rows := range map[string]string{"empty": "", "a header alone": "phone,name\n"} {
		path := filepath.Join(t.TempDir(), "numbers.csv")
		if err := os.WriteFile(path, []byte(rows), 0o600); err != nil {
			t.Fatal(err)
		}
		_, errs, status := notifyCLI(t, "send", "sms", "--url", "http://127.0.0.1:1", "--csv", path,
			"--sign-name", "notify", "--template", "SMS_0002")
		if status != 2 || !strings.Contains(errs, "--csv") || !strings.Contains(errs, "no rows") {
			t.Errorf("%s: exit %d, stderr %q; want 2 naming --csv", name, status, errs)
		}
	}
}

// TestServeInboxOnlyForTheSandbox: the console's sandbox inbox is there
// once the sandbox has taken a message, for a channel with no provider,
// and not when every channel has one.
func TestServeInboxOnlyForTheSandbox(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want int
	}{
		{"the sandbox", nil, http.StatusOK},
		{"every channel a provider", map[string]string{
			"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tInboxTestKeyId01", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "inbox-test-secret-0123456789",
			"NOTIFY_SMTP_URL": "smtp://127.0.0.1:1", "NOTIFY_MAIL_FROM": "notify@example.com"}, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, _ := startGateway(t, tc.vars)
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			res, err := c.PostForm(url+"/console/login", neturl.Values{"group": {"demo"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if tc.vars == nil { // the sandbox takes a message
				res, err := http.Post(url+"/sms", "application/json", strings.NewReader(
					`{"GroupID":"demo","PhoneNumbers":"13800138000","SignName":"notify","TemplateCode":"SMS_0002","TemplateParam":"{}"}`))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Fatalf("POST /sms: %d", res.StatusCode)
				}
			}
			if res, err = c.Get(url + "/console/inbox"); err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Errorf("GET /console/inbox: %d; want %d", res.StatusCode, tc.want)
			}
		})
	}
}

// TestCLIMailDisplayName: an address whose display name holds a comma,
// quoted as RFC 5322 has it, is one recipient, as the gateway takes it;
// --to still takes a comma-separated list.
func TestCLIMailDisplayName(t *testing.T) {
	url, _ := startGateway(t, nil)
	out := mustRun(t, "send", "mail", "--url", url, "--to", `"Doe, John" <john@example.com>, ann@example.com`,
		"--cc", `"Roe, Jane" <jane@example.com>`, "--subject", "Report", "--body", "x", "--json")
	var rep struct{ Code, MessageId string }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Code != "OK" {
		t.Fatalf("send mail printed %q (%v); want Code OK", out, err)
	}
	out = mustRun(t, "status", "mail", "--url", url, "--message-id", rep.MessageId)
	for _, want := range []string{"john@example.com", "ann@example.com", "jane@example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("status mail printed\n%s\nwant %s in it", out, want)
		}
	}
}

// TestServeUncleanPathNotRedirected: the local server answers a path to a
// function's routes that is not clean 404 no_such_route, as the functions
// do, rather than a 307 to the clean path, which a client follows by
// POSTing the body again.
func TestServeUncleanPathNotRedirected(t *testing.T) {
	url, _ := startGateway(t, nil)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"//sms", "/sms/./", "/x/../sms", "//tts", "/mail/.", "/sms//status"} {
		res, err := client.Post(url+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || !strings.Contains(string(body), notify.ReasonNoSuchRoute) {
			t.Errorf("POST %s: %d %s, Location %q; want 404 no_such_route", path, res.StatusCode, body, res.Header.Get("Location"))
		}
	}
}

// TestCLIArgsNotUTF8: an argument in GBK (a terminal or a file name in
// it) is refused before anything is sent, naming the flag, as a CSV file
// in GBK is, rather than sent as U+FFFD, which is what JSON makes of it.
func TestCLIArgsNotUTF8(t *testing.T) {
	url, st := startGateway(t, nil)
	gbk := "\xd5\xc5\xc8\xfd" // 张三
	dir := t.TempDir()
	file := filepath.Join(dir, gbk+".txt")
	if err := os.WriteFile(file, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flag string
		args []string
	}{
		{"--param", []string{"send", "sms", "--url", url, "--to", "13700137001", "--sign-name", "notify", "--template", "SMS_0002", "--param", "name=" + gbk}},
		{"--sign-name", []string{"send", "sms", "--url", url, "--to", "13700137001", "--sign-name=" + gbk, "--template", "SMS_0002"}},
		{"--subject", []string{"send", "mail", "--url", url, "--to", "a@example.com", "--subject", gbk, "--body", "b"}},
		{"--attach", []string{"send", "mail", "--url", url, "--to", "a@example.com", "--subject", "s", "--body", "b", "--attach", file}},
	} {
		_, errs, status := notifyCLI(t, tc.args...)
		if status != 2 || !strings.Contains(errs, tc.flag) || !strings.Contains(errs, "UTF-8") {
			t.Errorf("%s in GBK: exit %d, stderr %q; want 2 naming %s and UTF-8", tc.flag, status, errs, tc.flag)
		}
	}
	if _, n, err := st.FindMessages(t.Context(), notify.MessageQuery{GroupID: "demo", Limit: 10}); err != nil || n != 0 {
		t.Errorf("%d messages, %v; want none sent", n, err)
	}
}

// TestPrintStatusBeijing: the status table shows when a message was
// recorded in Beijing time, the zone of the days --date names, whatever
// the machine's zone: one recorded at 00:30 on the 5th in Beijing is
// asked for with --date of the 5th, not of the 4th (UTC) or the 4th in
// the afternoon (Los Angeles).
func TestPrintStatusBeijing(t *testing.T) {
	body := `{"TotalCount":1,"Page":1,"PageSize":20,"Messages":[{"MessageId":"m1","Status":"delivered",` +
		`"Provider":"aliyun","CreatedAt":"2026-12-04T16:30:00.123Z","Recipients":[{"Recipient":"13800138000","Status":"delivered"}]}]}`
	var out bytes.Buffer
	if err := printStatus(&out, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "CREATED (BEIJING)") || !strings.Contains(out.String(), "2026-12-05 00:30:00") {
		t.Errorf("status table\n%s\nwant CREATED (BEIJING) and 2026-12-05 00:30:00", out.String())
	}
}
