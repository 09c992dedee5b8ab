package aliyunvoice

// Name is the provider name records give for calls placed through Aliyun
// Dyvmsapi.
const Name = "aliyun"
