package cloopensms

import "github.com/seed4ddb146e/notify/shared/notify"

// Name is the provider name records give for messages sent through
// Ronglian (Cloopen) TemplateSMS.
const Name = notify.ProviderCloopen
