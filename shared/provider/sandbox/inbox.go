package sandbox

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Letter is a message as the sandbox would have sent it: its parameters
// whole (up to MaxLetterText), a verification code's digits included, so
// that a developer can finish a login flow without a provider. It lives
// only in the memory of the process that took it.
type Letter struct {
	At        time.Time
	MessageID string
	Channel   notify.Channel
	To        []string
	SignName  string
	Template  string // SMS template code or TTS code
	Params    string // the template's variables as a JSON object, as sent
	Subject   string // mail
	Text      string // mail: the plain-text body, or the HTML one
}

// Inbox keeps the last letters the sandbox took, newest first, for the
// console. It is safe for concurrent use.
type Inbox struct {
	mu      sync.Mutex
	letters []Letter // oldest first
	max     int
	used    atomic.Bool // it has kept a letter
}

// Used reports whether the inbox has kept a letter: whether some channel
// has had no provider but the sandbox. Every function of a local run is
// given the inbox, whether it has a provider or not.
func (in *Inbox) Used() bool { return in != nil && in.used.Load() }

// DefaultInboxSize is how many letters an Inbox keeps.
const DefaultInboxSize = 200

// MaxLetterText is how much of a mail's body, or of a message's
// parameters, a letter keeps, in bytes: the mail route takes bodies of
// 13 MB, and a full inbox of them would hold 2.6 GB for as long as the
// local server runs. What is cut off is marked with "…".
const MaxLetterText = 16 << 10

// clip returns s, or its first MaxLetterText bytes (whole characters) and
// "…", in a string of their own that does not keep s's memory alive.
func clip(s string) string {
	if len(s) <= MaxLetterText {
		return s
	}
	n := MaxLetterText
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…" // a new string
}

// NewInbox returns an inbox of the last n letters (0: DefaultInboxSize).
func NewInbox(n int) *Inbox {
	if n <= 0 {
		n = DefaultInboxSize
	}
	return &Inbox{max: n}
}

func (in *Inbox) keep(l Letter) {
	if in == nil {
		return
	}
	in.used.Store(true)
	l.Text, l.Params = clip(l.Text), clip(l.Params)
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.letters) == in.max {
		in.letters = slices.Delete(in.letters, 0, 1)
	}
	in.letters = append(in.letters, l)
}

// Letters returns the letters kept, newest first.
func (in *Inbox) Letters() []Letter {
	if in == nil {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	out := slices.Clone(in.letters)
	slices.Reverse(out)
	return out
}

type inboxKey struct{}

// WithInbox returns ctx carrying in, for the functions built with it to
// keep their sandboxed messages there (the local server's console shows
// them).
func WithInbox(ctx context.Context, in *Inbox) context.Context {
	return context.WithValue(ctx, inboxKey{}, in)
}

// InboxFrom returns the inbox ctx carries, or nil.
func InboxFrom(ctx context.Context) *Inbox {
	in, _ := ctx.Value(inboxKey{}).(*Inbox)
	return in
}
