package acs

import (
	"strconv"
	"sync"
)

// Log is the list of what a fake accepted. It is safe for concurrent use;
// the zero Log is empty.
type Log[T any] struct {
	mu    sync.Mutex
	items []T
}

// Add appends the item that newItem makes from the number of items before
// it (for numbering ids), and returns it.
func (l *Log[T]) Add(newItem func(n int) T) T {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := newItem(len(l.items))
	l.items = append(l.items, v)
	return v
}

// All returns a copy of the items, oldest first.
func (l *Log[T]) All() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]T(nil), l.items...)
}

// ID returns an id shaped like the products' BizId and CallId, two
// numbers joined by "^": ID(900619746936498440, 0) is
// "900619746936498440^0".
func ID(a, b int64) string {
	return strconv.FormatInt(a, 10) + "^" + strconv.FormatInt(b, 10)
}
