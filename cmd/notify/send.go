package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// sendCmd sends one message, or one per row of a CSV file.
type sendCmd struct {
	Gateway gateway     `embed:""`
	SMS     sendSMSCmd  `cmd:"" name:"sms" help:"Send an SMS: POST /sms."`
	TTS     sendTTSCmd  `cmd:"" name:"tts" help:"Place a text-to-speech call: POST /tts."`
	Mail    sendMailCmd `cmd:"" help:"Send a mail: POST /mail."`
}

// params are a template's variables, from repeated --param name=value.
type params map[string]string

type sendSMSCmd struct {
	To       []string `placeholder:"NUMBER" help:"The numbers, comma-separated or repeated."`
	CSV      string   `name:"csv" placeholder:"FILE" help:"Send to each row of FILE: a number first, and an optional header row phone,<param>,... whose other columns are --params."`
	SignName string   `required:"" help:"The SMS signature."`
	Template string   `required:"" placeholder:"CODE" help:"The template code (or its name in the registry)."`
	Param    params   `placeholder:"NAME=VALUE" mapsep:"none" help:"A template variable; repeat for more."`
	OutID    string   `name:"out-id" help:"Your own reference, echoed in reports."`
	Again    bool     `help:"With --csv, send every row anew, even those a run of the same file sent within 24 hours."`
}

// smsBody is a POST /sms request.
type smsBody struct {
	GroupID, PhoneNumbers, SignName, TemplateCode string
	TemplateParam                                 params `json:",omitempty"`
	OutID                                         string `json:"OutId,omitempty"`
}

func (c *sendSMSCmd) Run(ctx context.Context, s *sendCmd, std streams) error {
	switch {
	case c.CSV != "" && len(c.To) > 0:
		return usagef("--to and --csv: give one of them")
	case c.CSV != "":
		return c.batch(ctx, &s.Gateway, std)
	case len(c.To) == 0:
		return usagef("--to: missing (or --csv)")
	}
	r, err := s.Gateway.post(ctx, "/sms", c.body(s.Gateway.Group, strings.Join(c.To, ","), c.Param))
	if err != nil {
		return err
	}
	return s.Gateway.show(std.out, r)
}

// body is the request that sends the SMS to numbers with the variables p.
func (c *sendSMSCmd) body(group, numbers string, p params) smsBody {
	return smsBody{GroupID: group, PhoneNumbers: numbers, SignName: c.SignName, TemplateCode: c.Template,
		TemplateParam: p, OutID: c.OutID}
}

type sendTTSCmd struct {
	To         string `required:"" placeholder:"NUMBER" help:"The number to call."`
	Template   string `required:"" placeholder:"CODE" help:"The TTS template code."`
	Param      params `placeholder:"NAME=VALUE" mapsep:"none" help:"A template variable; repeat for more."`
	ShowNumber string `help:"The number the callee sees (CalledShowNumber)."`
	PlayTimes  int    `help:"How many times the text is read out (1-3)."`
	OutID      string `name:"out-id" help:"Your own reference (at most 15 bytes)."`
}

func (c *sendTTSCmd) Run(ctx context.Context, s *sendCmd, std streams) error {
	body := struct {
		GroupID, CalledNumber, TtsCode string
		TtsParam                       params `json:",omitempty"`
		CalledShowNumber               string `json:",omitempty"`
		PlayTimes                      int    `json:",omitempty"`
		OutID                          string `json:"OutId,omitempty"`
	}{s.Gateway.Group, c.To, c.Template, c.Param, c.ShowNumber, c.PlayTimes, c.OutID}
	r, err := s.Gateway.post(ctx, "/tts", body)
	if err != nil {
		return err
	}
	return s.Gateway.show(std.out, r)
}

type sendMailCmd struct {
	// Split by splitAddresses, not by kong: a display name may hold a
	// comma ("Doe, John" <john@example.com>).
	To      []string `required:"" sep:"none" placeholder:"ADDRESS" help:"The recipients, comma-separated or repeated."`
	Cc      []string `sep:"none" placeholder:"ADDRESS" help:"Copied recipients."`
	Bcc     []string `sep:"none" placeholder:"ADDRESS" help:"Blind-copied recipients, never shown in the headers."`
	Subject string   `required:""`
	Body    string   `help:"The text of the mail."`
	HTML    bool     `name:"html" help:"The --body is HTML."`
	Attach  []string `type:"existingfile" sep:"none" placeholder:"FILE" help:"A file to attach; repeat for more."`
}

// attachment is one of POST /mail's attachments: its content in base64.
type attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Content     string `json:"content"`
}

func (c *sendMailCmd) Run(ctx context.Context, s *sendCmd, std streams) error {
	body := struct {
		GroupID     string       `json:"group_id"`
		Subject     string       `json:"subject"`
		To          []string     `json:"to"`
		Cc          []string     `json:"cc,omitempty"`
		Bcc         []string     `json:"bcc,omitempty"`
		Body        string       `json:"body,omitempty"`
		HTML        string       `json:"html,omitempty"`
		Attachments []attachment `json:"attachments,omitempty"`
	}{GroupID: s.Gateway.Group, Subject: c.Subject, To: splitAddresses(c.To), Cc: splitAddresses(c.Cc), Bcc: splitAddresses(c.Bcc)}
	if c.HTML {
		body.HTML = c.Body
	} else {
		body.Body = c.Body
	}
	for _, path := range c.Attach {
		a, err := attach(path)
		if err != nil {
			return err
		}
		body.Attachments = append(body.Attachments, a)
	}
	r, err := s.Gateway.post(ctx, "/mail", body)
	if err != nil {
		return err
	}
	return s.Gateway.show(std.out, r)
}

// splitAddresses splits each of lists at the commas that separate
// addresses, not those in a quoted display name or a comment.
func splitAddresses(lists []string) []string {
	var out []string
	for _, l := range lists {
		quoted, depth, start := false, 0, 0
		for i := 0; i < len(l); i++ {
			switch c := l[i]; {
			case c == '\\' && (quoted || depth > 0):
				i++ // an escaped character
			case c == '"' && depth == 0:
				quoted = !quoted
			case c == '(' && !quoted:
				depth++
			case c == ')' && !quoted && depth > 0:
				depth--
			case c == ',' && !quoted && depth == 0:
				if a := strings.TrimSpace(l[start:i]); a != "" {
					out = append(out, a)
				}
				start = i + 1
			}
		}
		if a := strings.TrimSpace(l[start:]); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// attach reads the file at path as an attachment, typed by its extension.
func attach(path string) (attachment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return attachment{}, fmt.Errorf("--attach: %w", err)
	}
	// The gateway takes a media type alone: TypeByExtension's parameters
	// (charset) are dropped.
	ct := "application/octet-stream"
	if t, _, err := mime.ParseMediaType(mime.TypeByExtension(filepath.Ext(path))); err == nil {
		ct = t
	}
	return attachment{Name: filepath.Base(path), ContentType: ct, Content: base64.StdEncoding.EncodeToString(data)}, nil
}

// codeCmd sends and checks verification codes the gateway makes.
type codeCmd struct {
	Gateway gateway       `embed:""`
	Send    codeSendCmd   `cmd:"" help:"Send a new code: POST /sms/code/send."`
	Verify  codeVerifyCmd `cmd:"" help:"Check a code: POST /sms/code/verify."`
}

type codeSendCmd struct {
	To       string `required:"" placeholder:"NUMBER" help:"The number to send the code to."`
	Scene    string `default:"login" help:"What the code is for: login, register, ..."`
	Channel  string `enum:"sms,tts" default:"sms" help:"sms, or tts to read it out in a call."`
	SignName string `help:"The SMS signature; default: the group's for the scene."`
	Template string `placeholder:"CODE" help:"The template; default: the group's for the scene."`
}

func (c *codeSendCmd) Run(ctx context.Context, s *codeCmd, std streams) error {
	body := struct {
		GroupID, PhoneNumber, Scene, Channel string
		SignName                             string `json:",omitempty"`
		TemplateCode                         string `json:",omitempty"`
	}{s.Gateway.Group, c.To, c.Scene, c.Channel, c.SignName, c.Template}
	r, err := s.Gateway.post(ctx, "/sms/code/send", body)
	if err != nil {
		return err
	}
	return s.Gateway.show(std.out, r)
}

type codeVerifyCmd struct {
	To    string `required:"" placeholder:"NUMBER" help:"The number the code was sent to."`
	Code  string `required:"" help:"The code to check."`
	Scene string `default:"login" help:"What the code is for, as it was sent."`
}

func (c *codeVerifyCmd) Run(ctx context.Context, s *codeCmd, std streams) error {
	body := struct{ GroupID, PhoneNumber, Scene, Code string }{s.Gateway.Group, c.To, c.Scene, c.Code}
	r, err := s.Gateway.post(ctx, "/sms/code/verify", body)
	if err != nil {
		return err
	}
	return s.Gateway.show(std.out, r)
}

// statusCmd asks what became of messages.
type statusCmd struct {
	Gateway gateway    `embed:""`
	SMS     statusSMS  `cmd:"" name:"sms" help:"GET /sms/status."`
	TTS     statusTTS  `cmd:"" name:"tts" help:"GET /tts/status."`
	Mail    statusMail `cmd:"" help:"GET /mail/status."`
}

type (
	statusSMS struct {
		Query statusQuery `embed:""`
	}
	statusTTS struct {
		Query statusQuery `embed:""`
	}
	statusMail struct {
		Query statusQuery `embed:""`
	}
)

func (c *statusSMS) Run(ctx context.Context, s *statusCmd, std streams) error {
	return c.Query.ask(ctx, &s.Gateway, std, "sms")
}

func (c *statusTTS) Run(ctx context.Context, s *statusCmd, std streams) error {
	return c.Query.ask(ctx, &s.Gateway, std, "tts")
}

func (c *statusMail) Run(ctx context.Context, s *statusCmd, std streams) error {
	return c.Query.ask(ctx, &s.Gateway, std, "mail")
}

type statusQuery struct {
	MessageID  string `name:"message-id" placeholder:"ID" help:"Our MessageId."`
	ProviderID string `name:"provider-id" placeholder:"ID" help:"The provider's id: BizId (sms), CallId (tts), ProviderId (mail)."`
	To         string `placeholder:"RECIPIENT" help:"The number or address, with --date."`
	Date       string `placeholder:"YYYYMMDD" help:"The day it was sent, Beijing time, with --to."`
	Page       int    `help:"The page, from 1."`
	PageSize   int    `help:"Messages a page (at most 50)."`
}

// statusFields are, per channel, the query's names of the provider's id
// and of the recipient.
var statusFields = map[string]struct{ providerID, recipient string }{
	"sms":  {"BizId", "PhoneNumber"},
	"tts":  {"CallId", "CalledNumber"},
	"mail": {"ProviderId", "To"},
}

// ask asks the status of the channel's messages the query names.
func (c *statusQuery) ask(ctx context.Context, g *gateway, std streams, channel string) error {
	if c.MessageID == "" && c.ProviderID == "" && c.To == "" {
		return usagef("--message-id, --provider-id or --to with --date: one is needed")
	}
	if (c.To == "") != (c.Date == "") {
		return usagef("--to and --date go together")
	}
	f := statusFields[channel]
	q := url.Values{"GroupID": {g.Group}}
	for _, p := range []struct{ name, value string }{{"MessageId", c.MessageID}, {f.providerID, c.ProviderID},
		{f.recipient, c.To}, {"SendDate", c.Date}} {
		if p.value != "" {
			q.Set(p.name, p.value)
		}
	}
	if c.Page > 0 {
		q.Set("Page", strconv.Itoa(c.Page))
	}
	if c.PageSize > 0 {
		q.Set("PageSize", strconv.Itoa(c.PageSize))
	}
	r, err := g.get(ctx, "/"+channel+"/status", q)
	if err != nil {
		return err
	}
	if g.JSON || r.refused() != nil {
		return g.show(std.out, r)
	}
	return printStatus(std.out, r.body)
}

// printStatus prints a status reply as a table, a row per recipient of
// each message. Times are Beijing time, the days --date names, whatever
// the machine's zone.
func printStatus(w io.Writer, body []byte) error {
	var page struct {
		TotalCount, Page, PageSize int
		Messages                   []struct {
			MessageId, Status, Provider, ProviderId, ErrorCode string
			CreatedAt                                          time.Time
			Recipients                                         []struct{ Recipient, Status, Code string }
		}
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("read the status reply: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MESSAGE ID\tSTATUS\tPROVIDER\tPROVIDER ID\tRECIPIENT\tRECIPIENT STATUS\tCODE\tCREATED (BEIJING)")
	for _, m := range page.Messages {
		created := notify.FormatBeijing(m.CreatedAt)
		if len(m.Recipients) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t\t%s\t%s\n", m.MessageId, m.Status, m.Provider, m.ProviderId, m.ErrorCode, created)
		}
		for _, r := range m.Recipients {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.MessageId, m.Status, m.Provider, m.ProviderId,
				r.Recipient, r.Status, r.Code, created)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d of %d (page %d)\n", len(page.Messages), page.TotalCount, page.Page)
	return err
}
