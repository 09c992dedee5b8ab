package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Idempotency-Key handling (draft-ietf-httpapi-idempotency-key-header):
// the first request with a key is handled and its reply kept for
// IdempotencyTTL; a retry with the same key and the same request gets that
// reply again without anything being sent; the same key with another
// request is refused (422); a retry while the first is still being handled
// is refused (409). Replies worth keeping are those of a request the
// gateway recorded and handed to a provider (sent, refused by it, or in
// doubt); a request refused before that, or one that failed in a way a
// retry may mend (provider or store unavailable, throttled), leaves the key
// free for the retry. docs/guarantees.md tells the whole story, crashes
// mid-send included.
const (
	MaxIdempotencyKeyLen = 255
	IdempotencyTTL       = notify.RequestKeyTTL
	// idempotencyLease bounds a first request without a deadline of its
	// own; after it, a retry may take the key over.
	idempotencyLease = time.Minute
)

// idempotent serves a request of group that carries an Idempotency-Key.
// The caller is authenticated first, so that only the group's own callers
// learn anything of its keys, and the key is the group's. The message the
// request records is named by the key and the request's digest: a retry
// after the first attempt died mid-send finds that record and is answered
// from it, never sent again.
func (e *endpoint) idempotent(w http.ResponseWriter, r *http.Request, body []byte, group, key string, st notify.IdempotencyStore) {
	fail := func(w http.ResponseWriter, he *httpError) { writeError(w, r, e.log, he, e.idField, "") }
	if err := e.svc.Authenticate(notify.Credentials{GroupID: group, Key: bearerKey(r)}); err != nil {
		fail(w, &httpError{err: notify.AsError(err)})
		return
	}
	serveIdempotent(w, r, idempotentCall{st: st, group: group, key: key, body: body, log: e.log, keep: keep, fail: fail,
		serve: func(w http.ResponseWriter, r *http.Request) { e.serve(w, r, body) }, nameMessage: true})
}

// idempotentCall is a request with an Idempotency-Key of group, and how its
// route answers: serve handles it, fail writes an error reply in the
// route's shape, keep says whether a reply is one to give again to a retry.
type idempotentCall struct {
	st    notify.IdempotencyStore
	group string
	key   string
	body  []byte
	log   *slog.Logger
	serve func(w http.ResponseWriter, r *http.Request)
	fail  func(w http.ResponseWriter, he *httpError)
	keep  func(status int, reply []byte) bool
	// nameMessage names the message the request records after its key
	// (notify.WithRequestKey).
	nameMessage bool
}

// serveIdempotent serves c: the first request with its key is served and
// its reply kept or the key freed; a retry gets the kept reply.
func serveIdempotent(w http.ResponseWriter, r *http.Request, c idempotentCall) {
	if len(c.key) > MaxIdempotencyKeyLen || !printableASCII(c.key) {
		c.fail(w, requestError(http.StatusBadRequest, "Idempotency-Key", notify.ReasonInvalidIdempotencyKey,
			"must be 1 to 255 printable ASCII characters"))
		return
	}
	now := time.Now()
	lease := now.Add(idempotencyLease)
	if d, ok := r.Context().Deadline(); ok {
		lease = d
	}
	sum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(c.body)))
	k := notify.Idempotency{GroupID: c.group, Key: c.key, Hash: hex.EncodeToString(sum[:]), CreatedAt: now,
		ExpiresAt: now.Add(IdempotencyTTL), LeaseUntil: lease}
	held, err := c.st.ClaimIdempotency(r.Context(), k)
	switch {
	case err != nil:
		c.fail(w, &httpError{err: &notify.Error{Op: "idempotency.claim", Kind: notify.Unavailable,
			Reason: notify.ReasonStoreUnavailable, Unsent: true, Err: err}})
		return
	case held != nil && held.Hash != k.Hash:
		c.fail(w, &httpError{status: http.StatusUnprocessableEntity, err: &notify.Error{Op: "idempotency",
			Kind: notify.Invalid, Field: "Idempotency-Key", Reason: notify.ReasonIdempotencyKeyReused,
			Err: errors.New("was first used with another request; use a new key for a new request")}})
		return
	case held != nil && held.Status == 0:
		w.Header().Set("Retry-After", "1")
		c.fail(w, &httpError{err: &notify.Error{Op: "idempotency", Kind: notify.Conflict,
			Field: "Idempotency-Key", Reason: notify.ReasonIdempotencyInFlight,
			Err: errors.New("the first request with this key is still being handled; retry shortly")}})
		return
	case held != nil:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(held.Status)
		_, _ = w.Write(held.Reply)
		return
	}
	rec := &recorder{ResponseWriter: w}
	if c.nameMessage {
		r = r.WithContext(notify.WithRequestKey(r.Context(), c.key+"#"+k.Hash[:16]))
	}
	c.serve(rec, r)
	// Keep or free the key whatever became of the caller's context.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if c.keep(rec.status, rec.body.Bytes()) {
		err = c.st.CompleteIdempotency(ctx, c.group, c.key, rec.status, rec.body.Bytes())
	} else {
		err = c.st.ReleaseIdempotency(ctx, c.group, c.key)
	}
	if err != nil {
		c.log.ErrorContext(r.Context(), "record the reply of an idempotent request", "status", rec.status, "err", err)
	}
}

// keep reports whether a reply is one to give again to a retry.
func keep(status int, reply []byte) bool {
	switch {
	case status >= 200 && status < 300:
		return true
	case status == http.StatusBadRequest, status == http.StatusGatewayTimeout:
		var r struct{ MessageId string }
		return json.Unmarshal(reply, &r) == nil && r.MessageId != ""
	}
	return false
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}

// recorder passes a reply through and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}
