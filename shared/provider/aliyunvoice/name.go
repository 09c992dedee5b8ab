package aliyunvoice

import "github.com/seed4ddb146e/notify/shared/notify"

// Name is the provider name records give for calls placed through Aliyun
// Dyvmsapi.
const Name = notify.ProviderAliyun
