package smtpmail_test

import (
	"context"
	"fmt"
	"log"

	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/smtpmail"
)

// Example sends a message to the fake SMTP server with AUTH, and shows the
// acceptance and what the server received: the Bcc recipient is in the
// envelope only.
func Example() {
	srv, err := smtpd.New(smtpd.Config{Username: "notify", Password: "s3cret", RequireAuth: true})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := smtpmail.New(smtpmail.Config{
		URL:  notify.Secret(srv.URL()), // smtp://notify:s3cret@127.0.0.1:port
		From: "Notify <notify@example.com>",
	})
	if err != nil {
		log.Fatal(err)
	}
	rc, err := c.SendMail(context.Background(), notify.Email{
		ID:      "0123456789abcdef",
		To:      []string{"Alice <alice@example.com>"},
		Bcc:     []string{"audit@example.com"},
		Subject: "Olá",
		Text:    "Your report is ready.",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rc.ProviderID, rc.Code)
	m := srv.Messages()[0]
	fmt.Println(m.User, m.From, m.To)
	// Output:
	// <0123456789abcdef@example.com> 250
	// notify notify@example.com [alice@example.com audit@example.com]
}

func ExampleParseURL() {
	ep, err := smtpmail.ParseURL("smtp://mailer%40example.com:p%40ss@smtp.example.com?auth=login")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ep.Addr(), ep.StartTLS, ep.Auth, ep.Username)
	fmt.Println(ep) // the password redacted

	_, err = smtpmail.ParseURL("smtp://mailer:p%40ss@smtp.example.com?starttls=off")
	fmt.Println(err)
	// Output:
	// smtp.example.com:587 required LOGIN mailer@example.com
	// smtp://mailer%40example.com:REDACTED@smtp.example.com:587?auth=login&starttls=required
	// smtpmail: refusing starttls=off with a password for smtp.example.com, which is not loopback: the password could cross the network in clear text; use starttls=required or smtps://
}

// ExampleClient_SendMail_rejected shows how a refusal reads: the Kind says
// what to do, Code and Message are the server's.
func ExampleClient_SendMail_rejected() {
	srv, err := smtpd.New(smtpd.Config{Faults: smtpd.Faults{RejectRcpt: []string{"gone@example.com"}}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := smtpmail.New(smtpmail.Config{URL: notify.Secret(srv.URL()), From: "notify@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.SendMail(context.Background(), notify.Email{To: []string{"gone@example.com"}, Subject: "hi", Text: "hi"})
	e := notify.AsError(err)
	fmt.Println(e.Kind, e.Code, e.Message)
	// Output:
	// rejected 550 5.1.1 <gone@example.com>: no such user
}
