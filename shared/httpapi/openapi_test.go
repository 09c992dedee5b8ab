package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/seed4ddb146e/notify/shared/httpapi/openapitest"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// checker loads OpenAPI, or fails the test.
func checker(t testing.TB) *openapitest.Checker {
	t.Helper()
	c, err := openapitest.New(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOpenAPIRoutes checks that the document has an operation for every
// route a function serves, and no operation that none serves. The web
// console's pages (ConsoleRoutes) are for people, not clients: they are
// left out.
func TestOpenAPIRoutes(t *testing.T) {
	doc := checker(t).Doc
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("the document is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	served := []string{"GET " + OpenAPIPath}
	for _, fn := range []string{"sms", "tts", "mail", "callback"} {
		for _, r := range Routes[fn] {
			if !slices.Contains(ConsoleRoutes, r) {
				served = append(served, r)
			}
		}
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in the document", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("the document has %s, which no function serves", d)
		}
	}
}

// TestOpenAPIExamples checks every example of the document against the
// schema beside it.
func TestOpenAPIExamples(t *testing.T) {
	doc := checker(t).Doc
	n := 0
	check := func(where string, mt *openapi3.MediaType) {
		for name, ex := range mt.Examples {
			n++
			if err := mt.Schema.Value.VisitJSON(ex.Value.Value, openapi3.EnableJSONSchema2020()); err != nil {
				t.Errorf("%s example %s: %v", where, name, err)
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					check(method+" "+path+" request "+ct, mt)
				}
			}
			for status, r := range op.Responses.Map() {
				for ct, mt := range r.Value.Content {
					check(method+" "+path+" "+status+" "+ct, mt)
				}
			}
		}
	}
	if n < 15 {
		t.Errorf("%d examples, want the README's, at least 15", n)
	}
}

// TestOpenAPIServed checks that every function serves the document.
func TestOpenAPIServed(t *testing.T) {
	svc := notify.NewService(notify.Deps{})
	c := checker(t)
	for name, h := range map[string]http.Handler{"sms": SMS(svc, nil), "tts": TTS(svc, nil), "mail": Mail(svc, 1<<20, nil),
		"callback": Callback(nil, CallbackTokens{}, nil)} {
		h = c.Handler(t, h)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, OpenAPIPath, nil))
		body, _ := io.ReadAll(w.Result().Body)
		if w.Code != http.StatusOK || !json.Valid(body) || string(body) != string(OpenAPI) {
			t.Errorf("%s: GET %s = %d %.40q, want 200 and the document", name, OpenAPIPath, w.Code, body)
		}
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, OpenAPIPath, strings.NewReader("{}")))
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: POST %s = %d, want 405", name, OpenAPIPath, w.Code)
		}
	}
}

// TestOpenAPICatchesDrift checks that the checker refuses exchanges the
// document does not describe.
func TestOpenAPICatchesDrift(t *testing.T) {
	c := checker(t)
	post := func(path, body string) *http.Request {
		return httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	}
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for _, tc := range []struct {
		name   string
		r      *http.Request
		body   string
		status int
		reply  string
	}{
		{"a reply field the document lacks", post("/sms", `{}`), `{}`, 400,
			`{"Code":"ERROR","Message":"m","RequestId":"null","Reason":"r","Extra":1}`},
		{"a status the route does not answer", post("/sms", `{}`), `{}`, 418,
			`{"Code":"ERROR","Message":"m","RequestId":"null","Reason":"r"}`},
		{"a success reply without its MessageId", post("/sms", `{}`), `{}`, 200,
			`{"Code":"OK","Message":"OK","RequestId":"x","BizId":"y"}`},
		{"a request the document refuses, taken", post("/sms", `{"PhoneNumbers":{}}`), `{"PhoneNumbers":{}}`, 200,
			`{"Code":"OK","Message":"OK","RequestId":"x","BizId":"y","MessageId":"z"}`},
		{"an unknown path answered 200", post("/nowhere", ``), ``, 200, `{}`},
		{"an unknown path answered in no error shape", post("/nowhere", ``), ``, 404, `{"error":"no"}`},
	} {
		if err := c.Check(tc.r, []byte(tc.body), tc.status, json, []byte(tc.reply)); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	ok := `{"Code":"OK","Message":"OK","RequestId":"x","BizId":"y","MessageId":"z"}`
	body := `{"GroupID":"g","PhoneNumbers":13800138000,"SignName":"s","TemplateCode":"T","TemplateParam":"1234"}`
	if err := c.Check(post("/sms", body), []byte(body), 200, json, []byte(ok)); err != nil {
		t.Errorf("a send as legacy callers make it: %v", err)
	}
}
