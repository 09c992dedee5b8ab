package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// consoleGroups are two groups with keys, to sign in as each.
const consoleGroups = `[{"id":"shop","channels":["sms","tts","mail"],"keys":["shop-console-key-0123"],
	"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0},"daily_cap":0},
	"codes":{"*":{"sign_name":"notify","template":"SMS_DEMO_CODE"}}},
	{"id":"other","channels":["sms"],"keys":["other-console-key-0123"]}]`

// TestConsoleInBrowser drives the web console of `make run` in headless
// Chromium: a wrong key does not sign in; the right one does; a message and
// a code sent through the API show in Messages, with the message's
// timeline; the sandbox inbox shows the code's digits, which then verify;
// Charts draw the day's numbers; the pages switch to English; another
// group sees none of it; and the browser logs no error. A screenshot of
// each page is kept in $NOTIFY_ARTIFACTS (default: a directory in the
// temporary one), named in the test's log.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a browser")
	}
	browser := findChromium()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium: .ci/run installs Debian's package")
		}
		t.Skip("no chromium on this machine (apt-get install chromium)")
	}
	t.Parallel()
	srv := startServer(t, map[string]string{"NOTIFY_GROUPS": consoleGroups})
	base, logs := srv.base, srv.logs
	shots := os.Getenv("NOTIFY_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "notify-console-screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	var (
		mu       sync.Mutex
		browserr []string
	)
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			browserr = append(browserr, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				browserr = append(browserr, "console.error")
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				browserr = append(browserr, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(listen))
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v\nserver log:\n%s", what, err, logs.String())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("the text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
	}
	signIn := func(group, key string) {
		t.Helper()
		do("sign in as "+group, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#login")),
			chromedp.SetValue(chromedp.CSS("#group"), group), chromedp.SetValue(chromedp.CSS("#key"), key),
			// The page after the form's: signed in, or refused.
			chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#nav-messages, .error")))
	}
	do("enable the log", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
		return err
	}))

	// A wrong key does not sign in.
	signIn("shop", "not-the-key-0000000")
	do("the refusal", chromedp.WaitVisible(chromedp.CSS(".error")))
	if got := text(".error"); !strings.Contains(got, "密钥不对") {
		t.Errorf("the refused sign-in says %q", got)
	}
	shot("01-login-refused")

	// Messages through the API, then the console.
	sms := apiCall(t, base, "shop-console-key-0123", "/sms",
		`{"GroupID":"shop","PhoneNumbers":"13800138000","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":{"name":"x"}}`)
	code := apiCall(t, base, "shop-console-key-0123", "/sms/code/send",
		`{"GroupID":"shop","PhoneNumber":"13900139000","Scene":"login"}`)
	signIn("shop", "shop-console-key-0123")
	do("messages", chromedp.WaitVisible(chromedp.CSS("#messages")))
	list := text("#messages")
	for _, id := range []string{sms, code} {
		if !strings.Contains(list, id) {
			t.Errorf("Messages does not list %s:\n%s", id, list)
		}
	}
	shot("02-messages")
	do("a message's timeline", chromedp.Click(chromedp.CSS(`a[href$="`+sms+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#timeline")))
	if got := text("#timeline"); !strings.Contains(got, "已记录") || !strings.Contains(got, "submitted") {
		t.Errorf("the timeline says %q; want recorded, then the provider's answer", got)
	}
	shot("03-message")

	// The sandbox inbox has the code's digits, and they verify.
	do("the sandbox inbox", chromedp.Click(chromedp.CSS("#nav-inbox")), chromedp.WaitVisible(chromedp.CSS("#inbox")))
	inbox := text("#inbox")
	shot("04-inbox")
	digits := regexp.MustCompile(`"code":"(\d{4,8})"`).FindStringSubmatch(inbox)
	if digits == nil {
		t.Fatalf("the inbox shows no code:\n%s", inbox)
	}
	verify := apiRaw(t, base, "shop-console-key-0123", "/sms/code/verify",
		fmt.Sprintf(`{"GroupID":"shop","PhoneNumber":"13900139000","Scene":"login","Code":%q}`, digits[1]))
	if !strings.Contains(verify, `"Verified":true`) {
		t.Errorf("the inbox's code does not verify: %s", verify)
	}

	// Charts draw today's numbers.
	do("charts", chromedp.Click(chromedp.CSS("#nav-charts")), chromedp.WaitVisible(chromedp.CSS("#chart")))
	bars, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`#chart rect.sent:not([height="0"])`)))
	if err != nil {
		t.Fatal(err)
	}
	if figures := text("#figures"); len(bars) == 0 || !strings.Contains(figures, "sandbox") {
		t.Errorf("charts: %d bars drawn, figures %q; want today's sends", len(bars), figures)
	}
	shot("05-charts")

	// English, and a phone's width.
	do("english", chromedp.Navigate(base+"/console/messages?lang=en"), chromedp.WaitVisible(chromedp.CSS("#nav-messages")))
	if got := text("header"); !strings.Contains(got, "Messages") || !strings.Contains(got, "Charts") {
		t.Errorf("the English header says %q", got)
	}
	shot("06-messages-en")
	do("a phone's width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/console/messages"),
		chromedp.WaitVisible(chromedp.CSS("#messages")))
	shot("07-messages-phone")
	// A message's page fits too: its heading is the message's id, 32
	// characters with no break in them.
	do("a message at a phone's width", chromedp.Navigate(base+"/console/messages/"+sms),
		chromedp.WaitVisible(chromedp.CSS("#timeline")))
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int64]("document.documentElement.scrollWidth"))
	if err != nil {
		t.Fatal(err)
	}
	if width > 390 {
		t.Errorf("a message's page is %d px wide on a phone 390 px wide", width)
	}
	shot("07-message-phone")
	do("back to a desk", chromedp.EmulateViewport(1280, 900))

	// Another group sees none of it.
	do("sign out", chromedp.Click(chromedp.CSS("header form button")), chromedp.WaitVisible(chromedp.CSS("#login")))
	signIn("other", "other-console-key-0123")
	if got := text("main"); strings.Contains(got, sms) || strings.Contains(got, code) {
		t.Errorf("another group's Messages lists shop's:\n%s", got)
	}
	do("another group's message", chromedp.Navigate(base+"/console/messages/"+sms), chromedp.WaitReady(chromedp.CSS("main")))
	if got := text("main"); !strings.Contains(got, "No such message") && !strings.Contains(got, "没有这条消息") {
		t.Errorf("another group opening shop's message sees %q; want not found", got)
	}
	shot("08-other-group")

	mu.Lock()
	defer mu.Unlock()
	// Only the two refusals the test asked for.
	expected := []string{"401 (Unauthorized) " + base + "/console/login", "404 (Not Found) " + base + "/console/messages/" + sms}
	for _, e := range browserr {
		if !slices.ContainsFunc(expected, func(x string) bool { return strings.HasSuffix(e, x) }) {
			t.Errorf("the browser logged an error: %q", e)
		}
	}
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// apiCall posts body to path with the bearer key and returns the reply's
// MessageId.
func apiCall(t *testing.T, base, key, path, body string) string {
	t.Helper()
	var rep struct{ Code, MessageId string }
	if err := json.Unmarshal([]byte(apiRaw(t, base, key, path, body)), &rep); err != nil || rep.MessageId == "" {
		t.Fatalf("%s: %+v, %v", path, rep, err)
	}
	return rep.MessageId
}

func apiRaw(t *testing.T, base, key, path, body string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// localServer is the notify binary serving on a free port until the test ends.
type localServer struct {
	base string // http://127.0.0.1:<port>
	dir  string // its TMPDIR, where the embedded store's file goes
	logs *lockedBuffer
	cmd  *exec.Cmd
	done chan error // its exit; a receive must put the error back for the cleanup
}

// startServer serves the notify binary on a free port with
// the embedded defaults and env over them, until the test ends.
func startServer(t *testing.T, env map[string]string) *localServer {
	t.Helper()
	s := &localServer{dir: t.TempDir(), logs: new(lockedBuffer), done: make(chan error, 1)}
	port := freePort(t)
	s.cmd = exec.Command(binary(t, "notify"))
	s.cmd.Env = []string{"PORT=" + port, "TMPDIR=" + s.dir, "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	s.cmd.Stderr = s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
	for i := 0; ; i++ { // up to 10 s for the server to listen
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			break
		}
		if i == 200 {
			t.Fatalf("the server does not listen: %v\nlogs:\n%s", err, s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.base = "http://127.0.0.1:" + port
	return s
}

// TestWarnsOnce: the local server builds every function, and each warns of
// a setting it lacks; a warning shared by several is logged once.
func TestWarnsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	logs := startServer(t, nil).logs
	seen := map[string]int{}
	for line := range strings.Lines(logs.String()) {
		var l struct{ Level, Msg string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Level == "WARN" {
			seen[l.Msg]++
		}
	}
	if len(seen) == 0 {
		t.Fatalf("no warnings at all:\n%s", logs.String())
	}
	for msg, n := range seen {
		if n > 1 {
			t.Errorf("warned %d times: %s", n, msg)
		}
	}
}
