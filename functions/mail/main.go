// Command mail is the mail function: the legacy API's POST /mail
// (docs/legacy.md), served on AWS Lambda, Aliyun FC 3 or, outside both, as
// a local HTTP server on $PORT.
package main

import (
	"fmt"
	"os"

	"github.com/seed4ddb146e/notify/shared/app"
	mailapp "github.com/seed4ddb146e/notify/shared/app/mail"
)

func main() {
	if err := app.Run("mail", "/mail", mailapp.New); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
