package notify

import (
	"context"
	"time"
)

// Idempotency is what a store keeps of a caller's Idempotency-Key: which
// request first came with it and the reply that request got, so that a
// retried request is answered with that reply instead of being sent again.
type Idempotency struct {
	GroupID string
	Key     string
	// Hash identifies the request (method, path and body): the same key
	// with another request is refused.
	Hash string
	// Status and Reply are the first request's reply; Status 0 means the
	// first request is still being handled.
	Status int
	Reply  []byte
	// CreatedAt is when the key was first seen; the record is kept until
	// ExpiresAt. LeaseUntil bounds an unfinished first request: after it,
	// the handler is taken to have died, and the key may be claimed again.
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LeaseUntil time.Time
}

// IdempotencyStore keeps Idempotency records, one per group and key.
type IdempotencyStore interface {
	// ClaimIdempotency records k as being handled, unless a live record
	// holds its group and key: then it records nothing and returns that
	// record. A record is live until it expires, except an unfinished one
	// past its lease, which a claim of the same request (the same Hash)
	// takes over; a claim of another request finds it still held, so that
	// a key whose first request died mid-send is never spent on another.
	ClaimIdempotency(ctx context.Context, k Idempotency) (*Idempotency, error)
	// CompleteIdempotency stores the reply of the request that claimed the
	// key.
	CompleteIdempotency(ctx context.Context, groupID, key string, status int, reply []byte) error
	// ReleaseIdempotency forgets a claimed key whose request was not worth
	// remembering (refused before anything was recorded, or failed in a way
	// a retry may mend), so that the caller may retry with it.
	ReleaseIdempotency(ctx context.Context, groupID, key string) error
}
