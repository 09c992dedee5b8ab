// Command smtpsink is the fake SMTP server of package smtpd in a process of
// its own. The memory test of cmd/notify sends it 30 mails of 13 MB, which
// the server reads a byte at a time: in the test process, built with the
// race detector, that took most of the test's two minutes; here, built
// without it, it takes a few seconds.
//
// It serves plain SMTP on a free port of 127.0.0.1 and prints the server's
// URL on a line of stdout. Then, for every line read from stdin, it prints
// on a line the number of messages the server has accepted so far. It
// exits when stdin closes.
package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
)

func main() {
	srv, err := smtpd.New(smtpd.Config{Mode: smtpd.Plain})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.Close()
	fmt.Println(srv.URL())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println(len(srv.Messages()))
	}
}
