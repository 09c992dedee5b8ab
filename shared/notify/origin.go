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
