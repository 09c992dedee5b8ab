// Package faults is what the fake provider servers share about failing on
// purpose: the queue of faults a test asks for, and dropping a connection
// without an answer, as a network does.
package faults

import (
	"net/http"
	"sync"
)

// Queue holds faults to play, first first. A fault queued for n requests
// applies to the next n once those before it are used up; one queued for
// 0 stays at the head until Clear. The zero Queue is empty and ready.
type Queue[F any] struct {
	mu sync.Mutex
	q  []queued[F]
}

type queued[F any] struct {
	f     F
	times int
}

// Push queues f for the next times requests, 0 for every one until Clear.
func (q *Queue[F]) Push(f F, times int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.q = append(q.q, queued[F]{f, times})
}

// Clear removes every queued fault.
func (q *Queue[F]) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.q = nil
}

// Next returns the fault to play on a request, and uses one of its
// requests up; ok is false when none is queued.
func (q *Queue[F]) Next() (f F, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.q) == 0 {
		return f, false
	}
	head := &q.q[0]
	if head.times > 0 {
		head.times--
		if head.times == 0 {
			defer func() { q.q = q.q[1:] }()
		}
	}
	return head.f, true
}

// Drop closes the connection of w without an answer. Where the connection
// cannot be taken over (HTTP/2, a recorder), it aborts the handler, which
// resets the stream.
func Drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
