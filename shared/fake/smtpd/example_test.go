package smtpd_test

import (
	"fmt"
	"log"
	"net/smtp"

	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
)

// ExampleNew runs a server that refuses one recipient, for a local run or
// a test outside testing.T, and sends to it with net/smtp.
func ExampleNew() {
	srv, err := smtpd.New(smtpd.Config{Faults: smtpd.Faults{RejectRcpt: []string{"gone@example.com"}}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	msg := []byte("Subject: hi\r\n\r\nhello\r\n")
	err = smtp.SendMail(srv.Addr(), nil, "from@example.com", []string{"gone@example.com"}, msg)
	fmt.Println(err)
	err = smtp.SendMail(srv.Addr(), nil, "from@example.com", []string{"to@example.com"}, msg)
	fmt.Println(err)

	m := srv.Messages()[0]
	fmt.Printf("%s -> %v: %q\n", m.From, m.To, m.Data)
	// Output:
	// 550 "5.1.1 <gone@example.com>: no such user"
	// <nil>
	// from@example.com -> [to@example.com]: "Subject: hi\r\n\r\nhello\r\n"
}
