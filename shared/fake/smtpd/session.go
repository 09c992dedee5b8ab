package smtpd

import (
	"crypto/subtle"
	"io"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Replies the faults give.
var (
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	errTempFail     = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
	errDropped      = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Connection dropped"}
)

func errNoSuchUser(rcpt string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + rcpt + ">: no such user"}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	if err := b.s.hold(Ehlo); err != nil {
		return nil, err
	}
	return &session{s: b.s, c: c}, nil
}

// session is one client's conversation, from EHLO (again after STARTTLS) to
// the end of the connection.
type session struct {
	s    *Server
	c    *smtp.Conn
	user string // set by a successful AUTH
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if ss.s.cfg.Username == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if ss.s.cfg.Username == "" {
		return nil, smtp.ErrAuthUnsupported
	}
	if err := ss.s.hold(Auth); err != nil {
		return nil, err
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return ss.login(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: ss.login}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// login checks the credentials an AUTH presented.
func (ss *session) login(user, pass string) error {
	cfg := ss.s.cfg
	ok := subtle.ConstantTimeCompare([]byte(user), []byte(cfg.Username)) &
		subtle.ConstantTimeCompare([]byte(pass), []byte(cfg.Password))
	if ok != 1 || cfg.Faults.RejectAuth {
		return smtp.ErrAuthFailed
	}
	ss.user = user
	return nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := ss.s.hold(Mail); err != nil {
		return err
	}
	if ss.s.cfg.RequireAuth && ss.user == "" {
		return errAuthRequired
	}
	if ss.s.cfg.Faults.TempFail {
		return errTempFail
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.hold(Rcpt); err != nil {
		return err
	}
	if slices.ContainsFunc(ss.s.cfg.Faults.RejectRcpt, func(r string) bool { return strings.EqualFold(r, to) }) {
		return errNoSuchUser(to)
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	f := ss.s.cfg.Faults
	if f.DropDuringData {
		var first [1]byte
		_, _ = io.ReadFull(r, first[:])
		ss.c.Conn().Close()
		return errDropped
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.c.TLSConnectionState()
	ss.s.record(Message{From: ss.from, To: slices.Clone(ss.to), Data: data, TLS: isTLS, User: ss.user})
	if f.DropAfterData {
		ss.c.Conn().Close()
		return errDropped
	}
	return ss.s.hold(Data)
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl no longer
// has: it asks for the user name (unless the client sent it with AUTH),
// then the password.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		if response == nil {
			l.step = 1
			return []byte("Username:"), false, nil
		}
		l.user, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 1:
		l.user, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}
