package notify

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
)

// Secret is a string that never shows itself in logs, errors or %v.
type Secret string

// LogValue keeps the secret out of slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// String keeps the secret out of fmt output.
func (Secret) String() string { return "REDACTED" }

// GoString keeps the secret out of %#v output.
func (Secret) GoString() string { return `"REDACTED"` }

// Reveal returns the secret itself, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// Group is a set of callers, named by GroupID, and what they may do.
// Empty SignNames or Templates mean any.
type Group struct {
	ID        string
	Channels  []Channel
	SignNames []string
	Templates []string
	// Keys are the API keys the group's callers must present as
	// "Authorization: Bearer <key>"; at most two live at once, for rotation.
	// A group without keys is authorized by its id alone, as the legacy
	// API's groups were (docs/legacy.md).
	// A key written KeyHashPrefix and 64 hex digits is the SHA-256 of the
	// key callers present, so that the configuration holds no secret.
	Keys []Secret
	// MailFrom is the group's sender address; "" is the gateway's default.
	MailFrom string
	// MailDomains are the recipient domains the group may mail, lower case;
	// empty is any.
	MailDomains []string
	// Providers are the SMS providers the group's messages go through, in
	// order of preference; empty is every configured one, in the
	// gateway's order.
	Providers []string
	// Limits are the group's per-number limits and daily cap; nil is
	// DefaultLimits.
	Limits *Limits
	// Codes are the templates verification codes go out with, by scene
	// (AnyScene for every other), when the caller names none.
	Codes map[string]CodeTemplate
	// Webhook, when set, is where the group's events go: the final state
	// of each recipient of its messages, and the replies to them.
	Webhook *Webhook
	// SaaS, when set, makes the group the SaaS platform whose stations
	// use the SaaS routes; at most one group has it.
	SaaS *SaaS
}

// Groups finds a group by id.
type Groups map[string]*Group

// NewGroups indexes gs by id.
func NewGroups(gs []Group) Groups {
	m := make(Groups, len(gs))
	for i := range gs {
		m[gs[i].ID] = &gs[i]
	}
	return m
}

// Credentials are what a caller presented: the GroupID from the body and the
// bearer key from the Authorization header, if any.
type Credentials struct {
	GroupID string
	Key     Secret
	// gateway marks the gateway's own sends for a group (escalations),
	// which need none of its keys: only the Service sets it.
	gateway bool
}

// KeyHashPrefix starts a group key given as the SHA-256 of the key itself,
// in hex: "sha256:" and 64 hex digits (printf %s "$KEY" | sha256sum).
const KeyHashPrefix = "sha256:"

var errKeyHash = errors.New(`want "sha256:" and the 64 hex digits of the key's SHA-256 (printf %s "$KEY" | sha256sum)`)

// ParseKeyHash returns the digest a KeyHashPrefix key holds, or an error
// that does not echo it.
func ParseKeyHash(k Secret) ([sha256.Size]byte, error) {
	var d [sha256.Size]byte
	h, ok := strings.CutPrefix(k.Reveal(), KeyHashPrefix)
	if !ok || len(h) != 2*sha256.Size {
		return d, errKeyHash
	}
	if _, err := hex.Decode(d[:], []byte(h)); err != nil {
		return d, errKeyHash
	}
	return d, nil
}

// Request names what a caller asks to do, for authorization.
type Request struct {
	Channel  Channel
	SignName string // "" when the channel has none
	Template string // "" when the channel has none
	// TemplateField is the request field that carries Template, for errors:
	// "TemplateCode" for SMS, "TtsCode" for voice.
	TemplateField string
	// Aliases are the other names of Template, when the registry has it:
	// a group that may use one may use the others.
	Aliases []string
}

var errNoKey = errors.New("this group requires an API key")

// Authenticate checks that c names a group and holds one of its keys,
// when it has any; what the group may do is Authorize's business.
func (gs Groups) Authenticate(c Credentials) (*Group, error) {
	const op = "authorize"
	g := gs[c.GroupID]
	if c.GroupID == "" {
		return nil, &Error{Op: op, Kind: Invalid, Field: "GroupID", Reason: ReasonMissingField, Err: errors.New("is required")}
	}
	if g == nil {
		return nil, &Error{Op: op, Kind: Unauthenticated, Field: "GroupID", Reason: ReasonUnknownGroup,
			Err: errors.New("no such group; ask the administrator to confirm the GroupID")}
	}
	if len(g.Keys) > 0 && !c.gateway {
		if c.Key == "" {
			return nil, &Error{Op: op, Kind: Unauthenticated, Field: "Authorization", Reason: ReasonMissingKey, Err: errNoKey}
		}
		if !g.keyMatches(c.Key) {
			return nil, &Error{Op: op, Kind: Unauthenticated, Field: "Authorization", Reason: ReasonWrongKey,
				Err: errors.New("the API key does not match this group's keys")}
		}
	}
	return g, nil
}

// Authorize checks that the caller's credentials name a group that may make
// request r, and returns that group.
func (gs Groups) Authorize(c Credentials, r Request) (*Group, error) {
	g, err := gs.Authenticate(c)
	if err != nil {
		return nil, err
	}
	const op = "authorize"
	// As the send trims them: a name is allowed as the provider gets it.
	r.SignName, r.Template = strings.TrimSpace(r.SignName), strings.TrimSpace(r.Template)
	if !slices.Contains(g.Channels, r.Channel) {
		return nil, &Error{Op: op, Kind: Forbidden, Field: "GroupID", Reason: ReasonChannelNotAllowed,
			Err: errors.New("this group may not use channel " + string(r.Channel))}
	}
	if r.SignName != "" && len(g.SignNames) > 0 && !slices.Contains(g.SignNames, r.SignName) {
		return nil, &Error{Op: op, Kind: Forbidden, Field: "SignName", Reason: ReasonSignNameNotAllowed,
			Err: errors.New("this group may not use this sign name")}
	}
	if r.Template != "" && len(g.Templates) > 0 && !slices.Contains(g.Templates, r.Template) &&
		!slices.ContainsFunc(r.Aliases, func(a string) bool { return slices.Contains(g.Templates, a) }) {
		return nil, &Error{Op: op, Kind: Forbidden, Field: r.TemplateField, Reason: ReasonTemplateNotAllowed,
			Err: errors.New("this group may not use this template")}
	}
	return g, nil
}

// keyMatches compares k with every key of the group in constant time. Both
// sides are SHA-256 digests, so that the comparison takes the same time
// whatever the lengths: k's, and the group key's own, or the one it holds
// when it is a KeyHashPrefix hash. A malformed hash matches nothing.
func (g *Group) keyMatches(k Secret) bool {
	got := sha256.Sum256([]byte(k))
	ok := 0
	for _, want := range g.Keys {
		w, valid := keyDigest(want)
		if valid {
			ok |= subtle.ConstantTimeCompare(got[:], w[:])
		}
	}
	return ok == 1
}

// keyDigest returns the SHA-256 of group key k, and whether k is well
// formed.
func keyDigest(k Secret) ([sha256.Size]byte, bool) {
	if strings.HasPrefix(k.Reveal(), KeyHashPrefix) {
		d, err := ParseKeyHash(k)
		return d, err == nil
	}
	return sha256.Sum256([]byte(k)), true
}
