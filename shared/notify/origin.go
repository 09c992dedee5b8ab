package notify

import (
	"context"
	"strconv"
	"time"
)

// Origin says where a request came from when it did not come over HTTP.
type Origin struct {
	Source    string // "sqs", "eventbridge", "mns-topic", "mns-queue"
	MessageID string // the queue's message id
	Attempt   int    // the delivery count, when known
}

type originKey struct{}

// WithOrigin returns ctx carrying o. It is a context value, never a header,
// so that an HTTP caller cannot forge it.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin of a queue message, and false for a request
// that came over HTTP.
func OriginFrom(ctx context.Context) (Origin, bool) {
	o, ok := ctx.Value(originKey{}).(Origin)
	return o, ok
}

type requestKeyKey struct{}

// RequestKeyTTL is how long the name of a request (WithRequestKey) names
// one message: the life of an Idempotency-Key. After it, the same name is
// a new request.
const RequestKeyTTL = 24 * time.Hour

// WithRequestKey returns ctx carrying the name a caller gave its request
// over HTTP (its Idempotency-Key, with a digest of the request, as
// httpapi makes it). The message such a request records is keyed by it,
// so that a retry finds the record of an earlier attempt, even one whose
// process died mid-send, and answers from it instead of sending again.
func WithRequestKey(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, requestKeyKey{}, name)
}

// messageKeys are the QueueKeys of a message of group sent in ctx at now:
// key, the one to record it under, "" for a message no one named; and
// earlier, another under which an earlier attempt may be recorded.
//
// A queue message's key is its queue's message id. A named HTTP request's
// is "http:<group>:<name>@<period>", the period being now's
// RequestKeyTTL-long span of time since the epoch: a retry within the
// TTL falls in the first attempt's period or the next, so earlier is the
// key of the period before, and a record under it older than the TTL is a
// name used again, not a retry.
func messageKeys(ctx context.Context, group string, now time.Time) (key, earlier string, fromQueue bool) {
	if o, ok := OriginFrom(ctx); ok && o.MessageID != "" {
		return o.Source + ":" + o.MessageID, "", true
	}
	name, _ := ctx.Value(requestKeyKey{}).(string)
	if name == "" {
		return "", "", false
	}
	period := now.Unix() / int64(RequestKeyTTL/time.Second)
	at := func(p int64) string { return "http:" + group + ":" + name + "@" + strconv.FormatInt(p, 10) }
	return at(period), at(period - 1), false
}
