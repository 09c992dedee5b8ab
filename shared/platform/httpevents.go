package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aws/aws-lambda-go/events"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// fcHTTPEvent is the FC3 HTTP trigger event of the built-in runtimes. The
// SDK's events.HTTPTriggerEvent is not used: its requestContext.time is a
// time.Time in one version and timeEpoch a string that fails on a number.
type fcHTTPEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Headers         map[string]string `json:"headers"`         // multiple values comma-joined
	QueryParameters map[string]string `json:"queryParameters"` // multiple values comma-joined
	RequestContext  struct {
		AccountID    string `json:"accountId"`
		DomainName   string `json:"domainName"`
		DomainPrefix string `json:"domainPrefix"`
		HTTP         struct {
			Method    string `json:"method"`
			Path      string `json:"path"`
			Protocol  string `json:"protocol"`
			SourceIP  string `json:"sourceIp"`
			UserAgent string `json:"userAgent"`
		} `json:"http"`
		RequestID string `json:"requestId"`
		Time      string `json:"time"`
		TimeEpoch millis `json:"timeEpoch"` // a string in the docs; a number is accepted too
	} `json:"requestContext"`
}

// httpAPIEvent is what decodeHTTP reads of an API Gateway HTTP API event
// (payload 2.0) or a Function URL event, in the field names and types of
// events.APIGatewayV2HTTPRequest. That struct, with its authorizers and
// identities, took a cold start's first request about 0.2 ms more to
// decode (encoding/json builds a type's decoder at its first use), and
// its fields beyond these were never read. docs/platform.md, "The
// events".
type httpAPIEvent struct {
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Cookies         []string          `json:"cookies"`
	Headers         map[string]string `json:"headers"` // multiple values comma-joined
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		DomainName string `json:"domainName"`
		HTTP       struct {
			Method   string `json:"method"`
			Path     string `json:"path"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
	} `json:"requestContext"`
}

// restAPIEvent is what decodeHTTP reads of an API Gateway REST API event
// (payload 1.0), in the field names and types of
// events.APIGatewayProxyRequest, for the reason httpAPIEvent gives.
type restAPIEvent struct {
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	Body                            string              `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
	RequestContext                  struct {
		DomainName string `json:"domainName"`
		Identity   struct {
			SourceIP string `json:"sourceIp"`
		} `json:"identity"`
	} `json:"requestContext"`
}

// millis is a time in epoch milliseconds sent as a JSON number or a string.
// Nothing depends on it, so a value of another form reads as 0 rather than
// failing the event.
type millis int64

func (m *millis) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		*m = 0
		return nil
	}
	*m = millis(n)
	return nil
}

// httpInput is an HTTP request as an event describes it, before it becomes
// an *http.Request.
type httpInput struct {
	method   string
	path     string // escaped, as sent
	rawQuery string
	header   http.Header
	cookies  []string // payload 2.0 carries cookies apart from the headers
	body     string
	base64   bool
	sourceIP string
	host     string // requestContext.domainName, used when no Host header came
}

// decodeHTTP reads an HTTP event of kind k.
func decodeHTTP(k Kind, payload []byte) (httpInput, error) {
	var in httpInput
	switch k {
	case HTTPAPI, FunctionURL:
		// A Function URL event has the HTTP API 2.0 shape, less routeKey
		// and pathParameters, which are not read here.
		var ev httpAPIEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return in, err
		}
		in = httpInput{method: ev.RequestContext.HTTP.Method, path: ev.RawPath, rawQuery: ev.RawQueryString,
			header: singleHeaders(ev.Headers), cookies: ev.Cookies, body: ev.Body, base64: ev.IsBase64Encoded,
			sourceIP: ev.RequestContext.HTTP.SourceIP, host: ev.RequestContext.DomainName}
		if in.path == "" {
			in.path = (&url.URL{Path: ev.RequestContext.HTTP.Path}).EscapedPath()
		}
	case RESTAPI:
		var ev restAPIEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return in, err
		}
		in = httpInput{method: ev.HTTPMethod, path: (&url.URL{Path: ev.Path}).EscapedPath(), body: ev.Body,
			base64: ev.IsBase64Encoded, sourceIP: ev.RequestContext.Identity.SourceIP, host: ev.RequestContext.DomainName}
		if len(ev.MultiValueHeaders) > 0 {
			in.header = multiHeaders(ev.MultiValueHeaders)
		} else {
			in.header = singleHeaders(ev.Headers)
		}
		if len(ev.MultiValueQueryStringParameters) > 0 {
			in.rawQuery = url.Values(ev.MultiValueQueryStringParameters).Encode()
		} else {
			in.rawQuery = singleValues(ev.QueryStringParameters).Encode()
		}
	case FCHTTP:
		var ev fcHTTPEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return in, err
		}
		in = httpInput{method: ev.RequestContext.HTTP.Method, path: ev.RawPath,
			rawQuery: singleValues(ev.QueryParameters).Encode(), header: singleHeaders(ev.Headers),
			body: ev.Body, base64: ev.IsBase64Encoded, sourceIP: ev.RequestContext.HTTP.SourceIP,
			host: ev.RequestContext.DomainName}
		if in.path == "" {
			in.path = (&url.URL{Path: ev.RequestContext.HTTP.Path}).EscapedPath()
		}
	default:
		return in, fmt.Errorf("%s is no HTTP event", k)
	}
	return in, nil
}

// request builds the *http.Request that in describes, with ctx as its
// context.
func (in httpInput) request(ctx context.Context) (*http.Request, error) {
	method := in.method
	if method == "" {
		method = http.MethodGet
	}
	if !validToken(method) {
		return nil, &badRequest{http.StatusMethodNotAllowed, notify.ReasonMethodNotAllowed, fmt.Errorf("bad method %q", short(method))}
	}
	path := in.path
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		return nil, &badRequest{http.StatusNotFound, notify.ReasonNoSuchRoute, fmt.Errorf("path %q does not start with /", short(path))}
	}
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return nil, &badRequest{http.StatusNotFound, notify.ReasonNoSuchRoute, fmt.Errorf("bad path %q", short(path))}
	}
	u.RawQuery = in.rawQuery
	body := []byte(in.body)
	if in.base64 {
		if body, err = base64.StdEncoding.DecodeString(in.body); err != nil {
			return nil, &badRequest{http.StatusBadRequest, notify.ReasonUnreadableBody, fmt.Errorf("decode base64 body: %w", err)}
		}
	}
	if len(in.cookies) > 0 {
		in.header.Add("Cookie", strings.Join(in.cookies, "; "))
	}
	r := &http.Request{
		Method:        method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        in.header,
		Body:          http.NoBody,
		ContentLength: int64(len(body)),
		Host:          in.header.Get("Host"),
		RequestURI:    u.RequestURI(),
	}
	if len(body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if r.Host == "" {
		r.Host = in.host
	}
	r.Header.Del("Host") // as net/http's server does: the host is in r.Host
	if in.sourceIP != "" {
		r.RemoteAddr = net.JoinHostPort(in.sourceIP, "0")
	}
	return r.WithContext(ctx), nil
}

// badRequest is a request an HTTP event carries that no handler could be
// given: a path that does not parse (a caller's "/sms%zz"), a method that
// is no token, a body that is not the base64 the event says. It is the
// caller's, so it gets a 4xx reply, as net/http's server gives the same
// request locally, rather than failing the invocation, which the trigger
// answers 5xx.
type badRequest struct {
	status int
	reason string // a notify.Reason*
	err    error
}

func (e *badRequest) Error() string { return e.err.Error() }

func (e *badRequest) Unwrap() error { return e.err }

// reply is the error reply to the request, in the handlers' error shape.
func (e *badRequest) reply(requestID string) httpOutput {
	body, _ := json.Marshal(struct {
		Code      string `json:"Code"`
		Message   string `json:"Message"`
		RequestID string `json:"RequestId"`
		Reason    string `json:"Reason"`
	}{"ERROR", clip(e.err.Error()), requestID, e.reason})
	return httpOutput{status: e.status, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body: body}
}

// singleHeaders turns an event's one-string-per-name headers into an
// http.Header. Comma-joined values stay joined: that is a legal way to send
// several values (RFC 9110, section 5.3) and splitting would break values
// that contain commas, such as dates and user agents. Names and values that
// no HTTP server would accept are dropped.
func singleHeaders(m map[string]string) http.Header {
	h := make(http.Header, len(m))
	for k, v := range m {
		if validToken(k) && validValue(v) {
			h.Add(textproto.CanonicalMIMEHeaderKey(k), v)
		}
	}
	return h
}

func multiHeaders(m map[string][]string) http.Header {
	h := make(http.Header, len(m))
	for k, vs := range m {
		if !validToken(k) {
			continue
		}
		for _, v := range vs {
			if validValue(v) {
				h.Add(textproto.CanonicalMIMEHeaderKey(k), v)
			}
		}
	}
	return h
}

// singleValues turns decoded one-value-per-name query parameters into
// url.Values.
func singleValues(m map[string]string) url.Values {
	v := make(url.Values, len(m))
	for k, s := range m {
		v.Set(k, s)
	}
	return v
}

// validToken reports whether s is an HTTP token (RFC 9110, section 5.6.2),
// as header names and methods must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validValue reports whether s may be a header value: no CR, LF or NUL.
func validValue(s string) bool {
	return !strings.ContainsAny(s, "\r\n\x00")
}

// httpOutput is the handler's reply, ready to be put into an event's
// response shape.
type httpOutput struct {
	status int
	header http.Header
	body   []byte
}

// encodeHTTP puts out into the response shape of an event of kind k.
func encodeHTTP(k Kind, out httpOutput) any {
	body, b64 := encodeBody(out.header, out.body)
	cookies := out.header["Set-Cookie"]
	switch k {
	case RESTAPI:
		mv := make(map[string][]string, len(out.header))
		for name, vs := range out.header {
			mv[name] = vs
		}
		return events.APIGatewayProxyResponse{StatusCode: out.status, Headers: map[string]string{},
			MultiValueHeaders: mv, Body: body, IsBase64Encoded: b64}
	case HTTPAPI:
		return events.APIGatewayV2HTTPResponse{StatusCode: out.status, Headers: joinedHeaders(out.header, "Set-Cookie"),
			Body: body, IsBase64Encoded: b64, Cookies: cookies}
	case FunctionURL:
		return events.LambdaFunctionURLResponse{StatusCode: out.status, Headers: joinedHeaders(out.header, "Set-Cookie"),
			Body: body, IsBase64Encoded: b64, Cookies: cookies}
	default: // FCHTTP: one string per header, Set-Cookie included
		return fcevents.HTTPTriggerResponse{StatusCode: out.status, Headers: joinedHeaders(out.header, ""),
			Body: body, IsBase64Encoded: b64}
	}
}

// joinedHeaders returns h with the values of each name joined by commas,
// leaving out the header named skip.
func joinedHeaders(h http.Header, skip string) map[string]string {
	m := make(map[string]string, len(h))
	for k, vs := range h {
		if k != skip && len(vs) > 0 {
			m[k] = strings.Join(vs, ",")
		}
	}
	return m
}

// encodeBody returns body as the event's string and whether that string is
// base64: text (by Content-Type, and valid UTF-8) goes as it is, anything
// else is base64-encoded so that no byte is lost.
func encodeBody(h http.Header, body []byte) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	if isText(h.Get("Content-Type")) && utf8.Valid(body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

func isText(contentType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	mt = strings.TrimSpace(mt)
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "/json"), strings.HasSuffix(mt, "+json"),
		strings.HasSuffix(mt, "/xml"), strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/x-www-form-urlencoded":
		return true
	}
	return false
}
