// Package console is the gateway's web console: a group signs in with its
// GroupID and key and sees its own messages (each recipient's state and the
// message's timeline: recorded, the provider's answer, each report, each
// webhook delivery), charts of what it sent by day, the sandbox's inbox of
// what would have gone out (local runs only), and, for the SaaS platform's
// group, its stations. Pages are rendered on the server from embedded
// templates, charts drawn as SVG: there is no build step and no script.
//
// The session is a cookie (HttpOnly, SameSite=Strict, Secure except over
// plain http to a loopback host) sealed with AES-GCM under a key derived
// from the console secret: it holds the group, its key and an expiry, and
// each request authenticates them again, so a key taken out of the
// configuration ends its sessions. Forms carry a token derived from the
// session (CSRF), and a browser's cross-origin POST, the sign-in's
// included, is refused.
package console

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
)

//go:embed static/*
var files embed.FS

// Store is what the console reads: messages, their reports and their
// webhook events.
type Store interface {
	notify.MessageFinder
	Reports(ctx context.Context, messageID string) ([]notify.Report, error)
	Message(ctx context.Context, id string) (*notify.Message, error)
	MessageEvents(ctx context.Context, messageID string) ([]notify.Event, error)
}

// Config is what a console is built from.
type Config struct {
	// Base is the path the console is served under, ending in "/":
	// "/console/".
	Base   string
	Groups notify.Groups
	Store  Store
	// Service serves the SaaS stations' pages, and names each SMS's
	// first provider for the charts: a message another one sent was a
	// failover. Without it, no page of stations, and no failover.
	Service *notify.Service
	// Secret seals the session cookies; at least 32 bytes.
	Secret []byte
	// Inbox is the sandbox's, in a local run: its page is shown once the
	// sandbox has kept a letter, which it does only for a channel with no
	// provider.
	Inbox *sandbox.Inbox
	// AllowKeyless lets a group without keys sign in by its GroupID
	// alone, as its callers send: for local runs only.
	AllowKeyless bool
	Log          *slog.Logger
	Now          func() time.Time // nil: time.Now
}

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 12 * time.Hour

const cookieName = "notify_console"

// Console serves the pages.
type Console struct {
	c    Config
	aead cipher.AEAD
	csrf []byte
	mux  *http.ServeMux
	// pages is mux behind a check that refuses a browser's cross-origin
	// POST: the sign-in form has no session, so no token, to carry.
	pages http.Handler
}

// New checks c and returns its console.
func New(c Config) (*Console, error) {
	if len(c.Secret) < 32 {
		return nil, errors.New("console: the secret must be at least 32 bytes")
	}
	if !strings.HasPrefix(c.Base, "/") || !strings.HasSuffix(c.Base, "/") {
		return nil, errors.New("console: the base path must begin and end with /")
	}
	if c.Store == nil {
		return nil, errors.New("console: no store")
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, c.Secret)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("notify console session v1"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &Console{c: c, aead: aead, csrf: derive("notify console csrf v1")}
	k.mux = http.NewServeMux()
	b := c.Base
	k.mux.HandleFunc("GET "+b+"{$}", k.signedIn(k.messages))
	k.mux.HandleFunc("GET "+b+"messages", k.signedIn(k.messages))
	k.mux.Handle("GET "+strings.TrimSuffix(b, "/"), http.RedirectHandler(b+"messages", http.StatusSeeOther))
	k.mux.HandleFunc("GET "+b+"messages/{id}", k.signedIn(k.message))
	k.mux.HandleFunc("GET "+b+"charts", k.signedIn(k.charts))
	k.mux.HandleFunc("GET "+b+"inbox", k.signedIn(k.inbox))
	k.mux.HandleFunc("GET "+b+"stations", k.signedIn(k.stations))
	k.mux.HandleFunc("POST "+b+"stations", k.signedIn(k.recharge))
	k.mux.HandleFunc("GET "+b+"login", k.loginPage)
	k.mux.HandleFunc("POST "+b+"login", k.login)
	k.mux.HandleFunc("POST "+b+"logout", k.signedIn(k.logout))
	k.mux.HandleFunc("GET "+b+"static/console.css", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "static/console.css")
	})
	k.pages = http.NewCrossOriginProtection().Handler(k.mux)
	return k, nil
}

func (k *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	k.pages.ServeHTTP(w, r)
}

// session is what the cookie holds.
type session struct {
	Group   string    `json:"g"`
	Key     string    `json:"k"`
	Expires time.Time `json:"e"`
	Lang    string    `json:"l"`
}

// page is what every template gets.
type page struct {
	Lang, Group, CSRF, Error string
	// Switch is the query of this page in the other language.
	Switch      string
	Inbox, SaaS bool
	Data        any
}

func (k *Console) seal(s session) string {
	b, _ := json.Marshal(s)
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(k.aead.Seal(nonce, nonce, b, []byte(cookieName)))
}

func (k *Console) open(v string) (session, bool) {
	var s session
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) < k.aead.NonceSize() {
		return s, false
	}
	plain, err := k.aead.Open(nil, b[:k.aead.NonceSize()], b[k.aead.NonceSize():], []byte(cookieName))
	if err != nil || json.Unmarshal(plain, &s) != nil || k.c.Now().After(s.Expires) {
		return s, false
	}
	return s, true
}

// csrfToken is the token the forms of session s carry.
func (k *Console) csrfToken(s session) string {
	m := hmac.New(sha256.New, k.csrf)
	m.Write([]byte(s.Group + "\x00" + s.Expires.Format(time.RFC3339Nano)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// secure reports whether the cookie may be Secure: anything but plain
// http to a loopback host, where browsers would drop it.
func secure(r *http.Request) bool {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	ip := net.ParseIP(host)
	return !(host == "localhost" || (ip != nil && ip.IsLoopback()))
}

func (k *Console) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: k.c.Base, MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
}

type handler func(w http.ResponseWriter, r *http.Request, s session, g *notify.Group)

// signedIn runs h for a signed-in group, whose key still holds; anyone
// else goes to the sign-in page. A POST must carry the session's token.
func (k *Console) signedIn(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		var (
			s  session
			ok bool
		)
		if err == nil {
			s, ok = k.open(c.Value)
		}
		var g *notify.Group
		if ok {
			g, err = k.c.Groups.Authenticate(notify.Credentials{GroupID: s.Group, Key: notify.Secret(s.Key)})
			ok = err == nil && k.admits(g)
		}
		if !ok {
			http.Redirect(w, r, k.c.Base+"login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(k.csrfToken(s))) {
			http.Error(w, "forbidden: the form is not this session's", http.StatusForbidden)
			return
		}
		if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
			s.Lang = l
			k.setCookie(w, r, k.seal(s), int(time.Until(s.Expires).Seconds()))
		}
		h(w, r, s, g)
	}
}

// render writes the page name with data for session s.
func (k *Console) render(w http.ResponseWriter, r *http.Request, s session, name string, status int, data any, errText string) {
	p := page{Lang: lang(s.Lang), Group: s.Group, Error: errText, Inbox: k.c.Inbox.Used(), Data: data}
	q := r.URL.Query()
	q.Set("lang", map[string]string{"en": "zh", "zh": "en"}[p.Lang])
	p.Switch = "?" + q.Encode()
	if s.Group != "" {
		p.CSRF = k.csrfToken(s)
		p.SaaS = k.c.Service != nil && k.c.Service.SaaSGroupID() == s.Group
	}
	var body func(*out)
	switch d := data.(type) {
	case messagesData:
		body = k.messagesBody(d)
	case messageData:
		body = k.messageBody(d)
	case chartsData:
		body = k.chartsBody(d)
	case []sandbox.Letter:
		body = k.inboxBody(d)
	case stationsData:
		body = k.stationsBody(p, d)
	}
	if name == "login" {
		body = k.loginBody(p)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, k.page(p, body))
}

func lang(l string) string {
	if l == "en" {
		return "en"
	}
	return "zh"
}

func (k *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	k.render(w, r, session{Lang: r.URL.Query().Get("lang")}, "login", http.StatusOK, nil, "")
}

// login signs a group in: its GroupID and, when it has keys, one of them.
func (k *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	id, key := strings.TrimSpace(r.PostFormValue("group")), r.PostFormValue("key")
	l := r.PostFormValue("lang")
	g, err := k.c.Groups.Authenticate(notify.Credentials{GroupID: id, Key: notify.Secret(key)})
	if err != nil || !k.admits(g) {
		// What was typed is logged when it names a group, and otherwise
		// kept out of the log: it may be a key typed into the wrong field.
		if _, known := k.c.Groups[id]; !known {
			id = ""
		}
		reason := "keyless" // a group without keys, where the console wants one
		if e := (*notify.Error)(nil); errors.As(err, &e) {
			reason = e.Reason
		}
		k.c.Log.WarnContext(r.Context(), "console: sign-in refused", "group", id, "reason", reason)
		k.render(w, r, session{Lang: l}, "login", http.StatusUnauthorized, nil, translate(lang(l), "signin_failed"))
		return
	}
	s := session{Group: g.ID, Key: key, Expires: k.c.Now().Add(SessionTTL), Lang: l}
	k.setCookie(w, r, k.seal(s), int(SessionTTL.Seconds()))
	http.Redirect(w, r, k.c.Base+"messages", http.StatusSeeOther)
}

// admits reports whether authenticated group g may use the console: a
// group without keys only where AllowKeyless lets it.
func (k *Console) admits(g *notify.Group) bool {
	return len(g.Keys) > 0 || k.c.AllowKeyless
}

func (k *Console) logout(w http.ResponseWriter, r *http.Request, _ session, _ *notify.Group) {
	k.setCookie(w, r, "", -1)
	http.Redirect(w, r, k.c.Base+"login", http.StatusSeeOther)
}
