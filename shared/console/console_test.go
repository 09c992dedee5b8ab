package console_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/console"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
)

const groups = `[{"id":"gm","channels":["sms"],"keys":["gm-console-key-0123456"],
	"saas":{"combos":[{"id":1,"name":"套餐包","price":"200.00","sms_nums":2000,"unit":"条","unit_price":10}],
	        "business_types":{"0":{"template":"SMS_1001"}},"provider_units":1000}},
	{"id":"open","channels":["sms"]}]`

// site is a console over a SQLite store, behind an httptest server, and
// a client that keeps its cookies and follows no redirect.
type site struct {
	srv *httptest.Server
	c   *http.Client
	st  *sqlite.Store
}

func newSite(t *testing.T, keyless bool, opts ...func(*console.Config)) *site {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return map[string]string{"NOTIFY_GROUPS": groups}[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	gs := notify.NewGroups(cfg.Groups)
	svc := notify.NewService(notify.Deps{Groups: gs, Store: st})
	c := console.Config{Base: "/console/", Groups: gs, Store: st, Service: svc,
		Secret: []byte("a console secret of at least thirty-two bytes"), AllowKeyless: keyless}
	for _, o := range opts {
		o(&c)
	}
	k, err := console.New(c)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &site{srv: srv, st: st, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (s *site) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := s.c.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (s *site) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	res, err := s.c.PostForm(s.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (s *site) signIn(t *testing.T, group, key string) *http.Response {
	t.Helper()
	res, _ := s.post(t, "/console/login", url.Values{"group": {group}, "key": {key}})
	return res
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestSignIn: a wrong key, an unknown group and (in the clouds) a group
// without keys are refused; the right key gets a session cookie that is
// HttpOnly and SameSite=Strict; pages need it; a forged cookie is refused.
func TestSignIn(t *testing.T) {
	s := newSite(t, false)
	if code, _ := s.get(t, "/console/messages"); code != http.StatusSeeOther {
		t.Errorf("messages without a session: %d; want a redirect to sign in", code)
	}
	for _, c := range [][2]string{{"gm", "wrong-key-00000000000"}, {"nobody", "gm-console-key-0123456"}, {"open", ""}} {
		if res := s.signIn(t, c[0], c[1]); res.StatusCode != http.StatusUnauthorized || len(res.Cookies()) != 0 {
			t.Errorf("sign in as %s with %q: %d, cookies %v; want 401 and none", c[0], c[1], res.StatusCode, res.Cookies())
		}
	}
	res := s.signIn(t, "gm", "gm-console-key-0123456")
	cs := res.Cookies()
	if res.StatusCode != http.StatusSeeOther || len(cs) != 1 || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode ||
		cs[0].Path != "/console/" || strings.Contains(cs[0].Value, "gm-console-key") {
		t.Fatalf("sign in: %d, cookies %+v; want one sealed HttpOnly SameSite=Strict cookie", res.StatusCode, cs)
	}
	if code, body := s.get(t, "/console/messages"); code != http.StatusOK || !strings.Contains(body, `id="nav-stations"`) {
		t.Errorf("messages signed in: %d; want 200 and the stations page for the SaaS group", code)
	}
	// A cookie changed by one character is no session.
	u, _ := url.Parse(s.srv.URL + "/console/")
	v := []byte(cs[0].Value)
	v[len(v)/2] ^= 1
	s.c.Jar.SetCookies(u, []*http.Cookie{{Name: cs[0].Name, Value: string(v), Path: "/console/"}})
	if code, _ := s.get(t, "/console/messages"); code != http.StatusSeeOther {
		t.Errorf("a forged session: %d; want a redirect to sign in", code)
	}
}

// TestSignInLog: a refused sign-in is logged with the group it names, and
// without what was typed when that names none: it may be a key typed into
// the group's field.
func TestSignInLog(t *testing.T) {
	var buf bytes.Buffer
	s := newSite(t, false, func(c *console.Config) { c.Log = slog.New(slog.NewJSONHandler(&buf, nil)) })
	for _, c := range []struct{ group, key, logged, reason string }{
		{"gm-console-key-0123456", "", `"group":""`, "unknown_group"},
		{"gm", "wrong-key-00000000000", `"group":"gm"`, "wrong_key"},
		{"open", "", `"group":"open"`, "keyless"},
	} {
		buf.Reset()
		if res := s.signIn(t, c.group, c.key); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("sign in as %q: %d; want 401", c.group, res.StatusCode)
		}
		log := buf.String()
		if !strings.Contains(log, "sign-in refused") || !strings.Contains(log, c.logged) ||
			!strings.Contains(log, `"reason":"`+c.reason+`"`) || strings.Contains(log, "gm-console-key") {
			t.Errorf("sign in as %q: logged %s; want %s and reason %s, and no key", c.group, log, c.logged, c.reason)
		}
	}
}

// TestKeylessLocally: where the console allows it (a local run), a group
// without keys signs in by its GroupID.
func TestKeylessLocally(t *testing.T) {
	s := newSite(t, true)
	if res := s.signIn(t, "open", ""); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a keyless group locally: %d; want signed in", res.StatusCode)
	}
}

// stationsToken signs the SaaS group in and returns the token of the
// Stations page's form.
func (s *site) stationsToken(t *testing.T) string {
	t.Helper()
	s.signIn(t, "gm", "gm-console-key-0123456")
	code, body := s.get(t, "/console/stations")
	m := csrfField.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("stations: %d, no form token\n%s", code, body)
	}
	return m[1]
}

// TestStations: the SaaS group recharges a station from its page with the
// form's token; without it the form is refused; a deal code recharges
// once; a bad number names the field.
func TestStations(t *testing.T) {
	s := newSite(t, false)
	token := s.stationsToken(t)
	form := url.Values{"station": {"T7442"}, "combo": {"1"}, "units": {"100"}, "money": {"10.00"}, "deal_code": {"D-1"}}
	if res, _ := s.post(t, "/console/stations", form); res.StatusCode != http.StatusForbidden {
		t.Errorf("a recharge without the token: %d; want 403", res.StatusCode)
	}
	form.Set("csrf", token)
	for range 2 {
		if res, body := s.post(t, "/console/stations", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("recharge: %d\n%s", res.StatusCode, body)
		}
	}
	if n, err := s.st.Balance(context.Background(), "gm", "T7442"); err != nil || n != 100 {
		t.Errorf("balance %d, %v; want 100: one deal code credits once", n, err)
	}
	form.Set("units", "many")
	if res, body := s.post(t, "/console/stations", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "units") {
		t.Errorf("units \"many\": %d; want 400 naming units\n%s", res.StatusCode, body)
	}
	// The deal code again, for another recharge: a conflict, said without
	// the gateway's own names for its operations.
	form.Set("units", "200")
	if res, body := s.post(t, "/console/stations", form); res.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "deal_code: ") || strings.Contains(body, "saas.") {
		t.Errorf("a deal code reused: %d; want 409 naming deal_code\n%s", res.StatusCode, body)
	}
	// A station id that cannot be one is the request's fault, not the
	// database's.
	for _, station := range []string{"%00", strings.Repeat("x", 65)} {
		if code, body := s.get(t, "/console/stations?station="+station); code != http.StatusBadRequest ||
			!strings.Contains(body, "station") {
			t.Errorf("station %q: %d; want 400 naming the station\n%s", station, code, body)
		}
	}
}

// TestMessagesFilters: the list narrows by status and channel, a bad date
// is 400 naming it, and another group's message is not found.
func TestMessagesFilters(t *testing.T) {
	s := newSite(t, false)
	now := time.Now()
	for i, st := range []notify.Status{notify.Delivered, notify.Failed} {
		m := &notify.Message{ID: notify.NewID(now), GroupID: "gm", Channel: notify.SMS, Recipients: []string{"13800138000"},
			Status: st, Provider: "aliyun", CreatedAt: now.Add(time.Duration(i) * time.Millisecond), UpdatedAt: now}
		if err := s.st.CreateMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	theirs := &notify.Message{ID: notify.NewID(now), GroupID: "open", Channel: notify.SMS, Recipients: []string{"1"},
		Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
	if err := s.st.CreateMessage(context.Background(), theirs); err != nil {
		t.Fatal(err)
	}
	s.signIn(t, "gm", "gm-console-key-0123456")
	_, body := s.get(t, "/console/messages?status=failed")
	if strings.Count(body, `class="st-failed"`) != 1 || strings.Contains(body, `class="st-delivered"`) {
		t.Errorf("status=failed lists:\n%s", body)
	}
	if code, body := s.get(t, "/console/messages?date=yesterday"); code != http.StatusBadRequest || !strings.Contains(body, "2006-01-02") {
		t.Errorf("a bad date: %d; want 400 saying the format", code)
	}
	if code, _ := s.get(t, "/console/messages/"+theirs.ID); code != http.StatusNotFound {
		t.Errorf("another group's message: %d; want 404", code)
	}
	if code, _ := s.get(t, "/console/charts?from=2026-01-01&to=2026-12-31"); code != http.StatusBadRequest {
		t.Errorf("a year of charts: %d; want 400 (at most %d days)", code, console.MaxChartDays)
	}
}

// TestKeysTakenOut: a session ends when its key leaves the configuration,
// whether another key replaces it or the group is left with none (in the
// clouds a group without keys may not sign in, so may not stay signed in).
func TestKeysTakenOut(t *testing.T) {
	s := newSite(t, false)
	if res := s.signIn(t, "gm", "gm-console-key-0123456"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	for _, keys := range []string{`["gm-console-key-rotated"]`, `[]`} {
		cfg, err := config.Load(func(k string) string {
			return map[string]string{"NOTIFY_GROUPS": `[{"id":"gm","channels":["sms"],"keys":` + keys + `}]`}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		k, err := console.New(console.Config{Base: "/console/", Groups: notify.NewGroups(cfg.Groups), Store: s.st,
			Secret: []byte("a console secret of at least thirty-two bytes")})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(k)
		defer srv.Close()
		// The jar sends the session to srv too: cookies do not tell ports apart.
		res, err := s.c.Get(srv.URL + "/console/messages")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("the session once keys are %s: %d; want a redirect to sign in", keys, res.StatusCode)
		}
	}
}

// TestSignInCrossSite: another site's form cannot sign the browser in (as
// the other site's group: login CSRF), nor post any other form.
func TestSignInCrossSite(t *testing.T) {
	s := newSite(t, false)
	form := url.Values{"group": {"gm"}, "key": {"gm-console-key-0123456"}}
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/console/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := s.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
		t.Errorf("a cross-site sign-in: %d, cookies %v; want 403 and none", res.StatusCode, res.Cookies())
	}
	req.Header.Set("Origin", s.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Body = io.NopCloser(strings.NewReader(form.Encode()))
	if res, err = s.c.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("a same-origin sign-in: %d; want 303", res.StatusCode)
	}
}

// TestRechargeRedirects: a recharge that went through is answered with a
// redirect to the station's page (POST/redirect/GET), which says it was
// done, so that reloading that page reads it again and credits nothing.
func TestRechargeRedirects(t *testing.T) {
	s := newSite(t, false)
	token := s.stationsToken(t)
	res, body := s.post(t, "/console/stations", url.Values{"csrf": {token}, "station": {"T 1"}, "combo": {"1"},
		"units": {"100"}, "money": {"10.00"}})
	loc, err := res.Location()
	if res.StatusCode != http.StatusSeeOther || err != nil || loc.Path != "/console/stations" ||
		loc.Query().Get("station") != "T 1" {
		t.Fatalf("a recharge: %d to %v; want 303 to the station's page\n%s", res.StatusCode, loc, body)
	}
	for range 2 { // the page, then a reload of it
		code, body := s.get(t, loc.RequestURI())
		if code != http.StatusOK || !strings.Contains(body, `class="ok"`) || !strings.Contains(body, "T 1") {
			t.Errorf("the station's page after a recharge: %d; want 200 saying it was done\n%s", code, body)
		}
	}
	if n, err := s.st.Balance(context.Background(), "gm", "T 1"); err != nil || n != 100 {
		t.Errorf("balance %d, %v; want 100: reloading the page credits nothing", n, err)
	}
	if _, body := s.get(t, "/console/stations?station=T+1"); strings.Contains(body, `class="ok"`) {
		t.Errorf("the station's page, not after a recharge, says one was done\n%s", body)
	}
	// From a later page of stations, the redirect keeps it.
	res, _ = s.post(t, "/console/stations?page=2&station=T+1", url.Values{"csrf": {token}, "station": {"T 1"},
		"combo": {"1"}, "units": {"1"}, "money": {"1.00"}})
	if loc, err := res.Location(); err != nil || loc.Query().Get("page") != "2" {
		t.Errorf("a recharge from the second page: to %v, %v; want the second page", loc, err)
	}
}

// TestRechargesTable: a station's recharges show their money in yuan, as
// the form takes it and GET /sms/recharge_record/get lists it, under a
// head row that names each column, in either language.
func TestRechargesTable(t *testing.T) {
	s := newSite(t, false)
	token := s.stationsToken(t)
	if res, body := s.post(t, "/console/stations", url.Values{"csrf": {token}, "station": {"T1"}, "combo": {"1"},
		"units": {"5"}, "money": {"12.34"}, "deal_code": {"D-9"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("recharge: %d\n%s", res.StatusCode, body)
	}
	for _, c := range []struct{ lang, head string }{
		{"zh", "<thead><tr><th>时间</th><th>条数</th><th>金额（元）</th><th>到账凭证</th><th>操作人</th><th>备注</th></tr></thead>"},
		{"en", "<thead><tr><th>Time</th><th>Units</th><th>Money (yuan)</th><th>Deal code</th><th>Operator</th><th>Remark</th></tr></thead>"},
	} {
		_, body := s.get(t, "/console/stations?station=T1&lang="+c.lang)
		i := strings.Index(body, `<table id="recharges">`)
		if i < 0 {
			t.Fatalf("%s: no recharges table\n%s", c.lang, body)
		}
		table := body[i:]
		table = table[:strings.Index(table, "</table>")]
		if !strings.Contains(table, c.head) || !strings.Contains(table, "<td>12.34</td>") ||
			!strings.Contains(table, "<td>D-9</td>") {
			t.Errorf("%s: the recharges table is\n%s\nwant the head %s and the money as 12.34", c.lang, table, c.head)
		}
	}
}

// TestStationsPages: the Stations page lists 100 stations and links to
// the next page, which lists the rest and links back; a station's link
// keeps its page.
func TestStationsPages(t *testing.T) {
	s := newSite(t, false)
	for i := range 105 {
		if _, err := s.st.Recharge(context.Background(), notify.Recharge{GroupID: "gm", Station: fmt.Sprintf("S%03d", i),
			Units: 1, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	s.signIn(t, "gm", "gm-console-key-0123456")
	listed := regexp.MustCompile(`<a href="[^"]*">(S\d{3})</a>`)
	next := regexp.MustCompile(`<a href="([^"]*)" id="next">`)
	code, body := s.get(t, "/console/stations?lang=en")
	first := listed.FindAllStringSubmatch(body, -1)
	n := next.FindStringSubmatch(body)
	if code != http.StatusOK || len(first) != 100 || first[0][1] != "S000" || first[99][1] != "S099" || n == nil {
		t.Fatalf("the first page: %d, %d stations, next %v; want S000 to S099 and a link to the next page\n%s",
			code, len(first), n, body)
	}
	code, body = s.get(t, "/console/stations"+html.UnescapeString(n[1]))
	second := listed.FindAllStringSubmatch(body, -1)
	if code != http.StatusOK || len(second) != 5 || second[0][1] != "S100" || second[4][1] != "S104" ||
		next.MatchString(body) || !strings.Contains(body, "Previous") {
		t.Fatalf("the second page: %d, %d stations; want S100 to S104, a link back and none on\n%s", code, len(second), body)
	}
	if !strings.Contains(body, `href="?page=2&amp;station=S104"`) {
		t.Errorf("a station's link on the second page does not keep the page\n%s", body)
	}
}

// figuresRow is a row of the Charts page's figures in English: its day,
// channel and provider, then sent, delivered, failed, unsettled, the rate,
// the median and p95 times, failovers, the rate-limited and the other
// refusals.
var figuresRow = regexp.MustCompile(`<tr><td>\d{4}-\d\d-\d\d</td><td>sms</td><td>([a-z]*)</td>((?:<td>[^<]*</td>)+)</tr>`)

// chartCells returns the cells after the provider of the figures' row of
// provider, in English.
func chartCells(t *testing.T, s *site, provider string) []string {
	t.Helper()
	_, body := s.get(t, "/console/charts?lang=en")
	for _, m := range figuresRow.FindAllStringSubmatch(body, -1) {
		if m[1] == provider {
			return strings.Split(strings.TrimSuffix(strings.TrimPrefix(m[2], "<td>"), "</td>"), "</td><td>")
		}
	}
	t.Fatalf("no figures for %q:\n%s", provider, body)
	return nil
}

// TestChartsRefusals: a send the gateway refused before any provider saw
// it (a limit, a station's balance) was neither sent nor failed: it counts
// as rate-limited, or as refused otherwise, and leaves the delivery rate
// to what was sent. A provider's own flow control is a failure.
func TestChartsRefusals(t *testing.T) {
	s := newSite(t, false)
	now := time.Now()
	for i, c := range []struct {
		status notify.Status
		code   string
	}{
		{notify.Delivered, ""},
		{notify.Failed, "isv.BUSINESS_LIMIT_CONTROL"}, // the provider's flow control: it was sent, and failed
		{notify.Failed, notify.ReasonRateLimited},
		{notify.Failed, notify.ReasonDailyCap},
		{notify.Failed, notify.ReasonBalanceTooLow},
	} {
		m := &notify.Message{ID: notify.NewID(now), GroupID: "gm", Channel: notify.SMS, Recipients: []string{"13800138000"},
			Provider: "aliyun", Status: c.status, ErrorCode: c.code, CreatedAt: now.Add(time.Duration(i) * time.Millisecond),
			UpdatedAt: now}
		if err := s.st.CreateMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	s.signIn(t, "gm", "gm-console-key-0123456")
	cells := chartCells(t, s, "aliyun")
	want := []string{"2", "1", "1", "0", "50.0%", "–", "–", "0", "2", "1"}
	if strings.Join(cells, " ") != strings.Join(want, " ") {
		t.Errorf("figures %v; want %v: 2 sent, 1 delivered, 1 failed, 2 rate-limited, 1 refused otherwise", cells, want)
	}
}

// TestTimelineRefused: a refused send's timeline says it was refused
// before any provider, not that a provider answered.
func TestTimelineRefused(t *testing.T) {
	s := newSite(t, false)
	now := time.Now()
	m := &notify.Message{ID: notify.NewID(now), GroupID: "gm", Channel: notify.SMS, Recipients: []string{"13800138000"},
		Provider: "sandbox", Status: notify.Failed, ErrorCode: notify.ReasonRateLimited, ErrorText: "over the limit",
		CreatedAt: now, UpdatedAt: now}
	if err := s.st.CreateMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s.signIn(t, "gm", "gm-console-key-0123456")
	_, body := s.get(t, "/console/messages/"+m.ID+"?lang=en")
	i := strings.Index(body, `<ol class="timeline"`)
	if i < 0 {
		t.Fatalf("no timeline\n%s", body)
	}
	tl := body[i:]
	if strings.Contains(tl, "provider&#39;s answer") || !strings.Contains(tl, `<li class="step-refused">`) ||
		!strings.Contains(tl, "refused before any provider") || !strings.Contains(tl, "rate_limited") {
		t.Errorf("a refused send's timeline:\n%s\nwant it refused before any provider, for rate_limited", tl)
	}
}

// TestTimelineAnswer: a message a report delivered shows the provider's
// answer as it was (submitted, at its time), then the report.
func TestTimelineAnswer(t *testing.T) {
	s := newSite(t, false)
	now := time.Now().Add(-time.Minute)
	m := &notify.Message{ID: notify.NewID(now), GroupID: "gm", Channel: notify.SMS, Recipients: []string{"13800138000"},
		Provider: "aliyun", Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
	ctx := context.Background()
	if err := s.st.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	answered := now.Add(1200 * time.Millisecond)
	if err := s.st.FinishMessage(ctx, m.ID, notify.Outcome{Status: notify.Submitted, Provider: "aliyun",
		ProviderID: "biz-tl", At: answered}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: "biz-tl",
		Recipient: "13800138000", Status: notify.Delivered, Code: "DELIVERED"}); err != nil {
		t.Fatal(err)
	}
	s.signIn(t, "gm", "gm-console-key-0123456")
	_, body := s.get(t, "/console/messages/"+m.ID+"?lang=en")
	i := strings.Index(body, `<li class="step-outcome">`)
	if i < 0 {
		t.Fatalf("no provider's answer in\n%s", body)
	}
	step, _, _ := strings.Cut(body[i:], "</li>")
	at := answered.In(notify.Beijing).Format("15:04:05")
	if !strings.Contains(step, `<span class="st-submitted">submitted</span>`) || !strings.Contains(step, at) {
		t.Errorf("the provider's answer: %s\nwant submitted, at %s", step, at)
	}
	if !strings.Contains(body, `<li class="step-report">`) || !strings.Contains(body, `st-delivered`) {
		t.Errorf("no delivered report in the timeline:\n%s", body)
	}
}

// TestChartsFailovers: a failover is a message sent by another provider
// than its own first route: the group's order of providers (here tencent,
// then aliyun) over the gateway's (aliyun, then tencent).
func TestChartsFailovers(t *testing.T) {
	s := newSite(t, false, func(c *console.Config) {
		cfg, err := config.Load(func(k string) string {
			return map[string]string{"NOTIFY_GROUPS": `[{"id":"gm","channels":["sms"],"keys":["gm-console-key-0123456"],
				"providers":["tencent","aliyun"]}]`}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Groups = notify.NewGroups(cfg.Groups)
		c.Service = notify.NewService(notify.Deps{Groups: c.Groups, Store: c.Store.(notify.Store),
			SMSRoutes: []notify.Route{{Name: "aliyun", Any: true}, {Name: "tencent", Any: true}}})
	})
	now := time.Now()
	for i, provider := range []string{"tencent", "tencent", "tencent", "aliyun"} {
		m := &notify.Message{ID: notify.NewID(now), GroupID: "gm", Channel: notify.SMS, Recipients: []string{"13800138000"},
			Template: "SMS_0001", Status: notify.Submitted, Provider: provider,
			CreatedAt: now.Add(time.Duration(i) * time.Millisecond), UpdatedAt: now}
		if err := s.st.CreateMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	s.signIn(t, "gm", "gm-console-key-0123456")
	for provider, want := range map[string]string{"tencent": "0", "aliyun": "1"} {
		if cells := chartCells(t, s, provider); cells[7] != want {
			t.Errorf("%s: %s failovers (figures %v); want %s: the group's first provider is tencent",
				provider, cells[7], cells, want)
		}
	}
}
