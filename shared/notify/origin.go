package notify

import "context"

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

// WithRequestKey returns ctx carrying the name a caller gave its request
// over HTTP (its Idempotency-Key, with a digest of the request, as
// httpapi makes it). The message such a request records is keyed by it
// (QueueKey "http:<group>:<name>"), so that a retry finds the record of an
// earlier attempt, even one whose process died mid-send, and answers from
// it instead of sending again.
func WithRequestKey(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, requestKeyKey{}, name)
}

// messageKey is the QueueKey of a message of group sent in ctx: the queue
// message's, the HTTP request's name, or "" for neither.
func messageKey(ctx context.Context, group string) (key string, fromQueue bool) {
	if o, ok := OriginFrom(ctx); ok && o.MessageID != "" {
		return o.Source + ":" + o.MessageID, true
	}
	if name, _ := ctx.Value(requestKeyKey{}).(string); name != "" {
		return "http:" + group + ":" + name, false
	}
	return "", false
}
