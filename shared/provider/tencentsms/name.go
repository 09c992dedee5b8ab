package tencentsms

import "github.com/seed4ddb146e/notify/shared/notify"

// Name is the provider name records give for messages sent through Tencent
// Cloud SMS.
const Name = notify.ProviderTencent
