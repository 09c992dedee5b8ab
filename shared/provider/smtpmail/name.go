package smtpmail

import "github.com/seed4ddb146e/notify/shared/notify"

// Name is the provider name records give for mail sent over SMTP.
const Name = notify.ProviderSMTP
