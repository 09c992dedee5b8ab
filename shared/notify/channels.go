package notify

import "context"

// VoiceCall is a text-to-speech call ready for a provider: one mainland
// callee, a TTS template and its variables.
type VoiceCall struct {
	ID               string // our message id
	CalledNumber     string // mainland 11 digits
	CalledShowNumber string // "" picks the provider's public number pool
	TtsCode          string
	Params           string // a JSON object whose values are all strings, or ""
	PlayTimes        *int   // 1-3; nil is the provider's default
	Volume           *int   // 0-100; nil is the provider's default
	Speed            *int   // -500..500; nil is the provider's default
	OutID            string // at most 15 bytes
}

// Caller places a text-to-speech call through one voice provider. Errors are
// *Error values classified like SMSSender's.
type Caller interface {
	Call(ctx context.Context, c VoiceCall) (Acceptance, error)
}

// Email is a mail message ready for a mail server. Addresses are validated
// and free of CR and LF; Bcc never appears in the headers sent.
type Email struct {
	ID          string // our message id
	From        string // "addr" or "Name <addr>"
	To, Cc, Bcc []string
	ReplyTo     string
	Subject     string
	Text        string // the plain-text body; may be empty when HTML is set
	HTML        string // the HTML body; may be empty
	Attachments []Attachment
}

// Attachment is a file carried by an Email.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Mailer hands an Email to a mail server. The Acceptance's ProviderID is the
// Message-ID header sent. Errors are *Error values classified like
// SMSSender's: a refusal before DATA is complete is certain (Rejected,
// Transient, ...); a failure after it may be Ambiguous.
type Mailer interface {
	SendMail(ctx context.Context, e Email) (Acceptance, error)
}
