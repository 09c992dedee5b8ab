package smtpmail

// Name is the provider name records give for mail sent over SMTP.
const Name = "smtp"
