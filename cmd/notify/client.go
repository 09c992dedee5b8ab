package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

// gateway is how a client command reaches a running gateway, and how it
// shows the replies.
type gateway struct {
	URL   string `name:"url" env:"NOTIFY_URL" default:"http://127.0.0.1:8010" help:"The gateway's base URL."`
	Key   string `env:"NOTIFY_KEY" help:"The group's API key, sent as Authorization: Bearer."`
	Group string `env:"NOTIFY_GROUP" default:"demo" help:"The GroupID."`
	JSON  bool   `name:"json" help:"Print the gateway's JSON reply, not a table (with --csv, one reply a line, compacted; the summary goes to stderr)."`
}

// requestTimeout bounds each call to the gateway.
const requestTimeout = 60 * time.Second

// reply is the gateway's answer to one call.
type reply struct {
	status   int
	body     []byte
	replayed bool // the gateway's reply to an earlier request with its Idempotency-Key
}

// refusal is a reply the gateway refused: its status, and its Code,
// Message and Reason (and Field).
type refusal struct {
	status                                  int
	Code, Message, Reason, Field, MessageId string
}

func (r *refusal) Error() string {
	var b strings.Builder
	if r.status/100 == 2 && r.Code == "" {
		fmt.Fprintf(&b, "the reply (%d %s) is not the gateway's (is --url right?): %s", r.status, http.StatusText(r.status), r.Message)
		return b.String()
	}
	fmt.Fprintf(&b, "the gateway refused (%d %s): Code %s", r.status, http.StatusText(r.status), r.Code)
	if r.Reason != "" {
		fmt.Fprintf(&b, ", Reason %s", r.Reason)
	}
	if r.Field != "" {
		fmt.Fprintf(&b, ", Field %s", r.Field)
	}
	if r.Message != "" {
		fmt.Fprintf(&b, ": %s", r.Message)
	}
	if r.MessageId != "" {
		fmt.Fprintf(&b, " (MessageId %s)", r.MessageId)
	}
	return b.String()
}

// refused returns the refusal the reply is, or nil: a status other than
// 2xx, or a Code other than "OK". Every success of the gateway's is a JSON
// object with the Code "OK": a 2xx without it (a web server's page at the
// wrong --url) is not the gateway's, and sent nothing.
func (r reply) refused() *refusal {
	var f refusal
	err := json.Unmarshal(r.body, &f) // a body that is no JSON leaves the fields empty
	if r.status/100 == 2 && err == nil && f.Code == "OK" {
		return nil
	}
	f.status = r.status
	if f.Code == "" && f.Message == "" {
		f.Message = strings.TrimSpace(string(r.body))
	}
	return &f
}

// post sends body as JSON to path.
func (g *gateway) post(ctx context.Context, path string, body any) (reply, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return reply{}, fmt.Errorf("encode the request to %s: %w", path, err)
	}
	return g.do(ctx, http.MethodPost, path, nil, raw, "")
}

// get asks path with the query q.
func (g *gateway) get(ctx context.Context, path string, q url.Values) (reply, error) {
	return g.do(ctx, http.MethodGet, path, q, nil, "")
}

// base returns the gateway's base URL, or a usage error.
func (g *gateway) base() (*url.URL, error) {
	base, err := url.Parse(g.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, usagef("--url %q: want an http:// or https:// URL", g.URL)
	}
	return base, nil
}

func (g *gateway) do(ctx context.Context, method, path string, q url.Values, body []byte, idempotencyKey string) (reply, error) {
	base, err := g.base()
	if err != nil {
		return reply{}, err
	}
	u := base.JoinPath(path)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if g.Key != "" {
		req.Header.Set("Authorization", "Bearer "+g.Key)
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: read the reply: %w", method, path, err)
	}
	return reply{status: res.StatusCode, body: raw, replayed: res.Header.Get("Idempotent-Replayed") == "true"}, nil
}

// show prints a reply, as JSON (--json) or as a table of its fields, and
// returns its refusal, if it is one.
func (g *gateway) show(w io.Writer, r reply) error {
	if g.JSON {
		w.Write(r.body)
		if !bytes.HasSuffix(r.body, []byte("\n")) {
			io.WriteString(w, "\n")
		}
	} else if f := r.refused(); f == nil {
		printFields(w, r.body)
	}
	if f := r.refused(); f != nil {
		return f
	}
	return nil
}

// printFields prints the fields of a JSON object, one a line, in the
// order the gateway wrote them; lists and objects are left out.
func printFields(w io.Writer, body []byte) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	for _, f := range fieldsOf(body) {
		var v any
		if json.Unmarshal(f.value, &v) != nil {
			continue
		}
		switch v.(type) {
		case []any, map[string]any, nil:
			continue
		}
		fmt.Fprintf(tw, "%s\t%v\n", f.name, v)
	}
}

// field is one field of a JSON object.
type field struct {
	name  string
	value json.RawMessage
}

// fieldsOf returns the fields of the JSON object in body, in order; none
// when body is no object.
func fieldsOf(body []byte) []field {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var fields []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fields
		}
		name, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fields
		}
		fields = append(fields, field{name, v})
	}
	return fields
}
