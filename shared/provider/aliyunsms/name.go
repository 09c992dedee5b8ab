package aliyunsms

// Name is the provider name records give for messages sent through Aliyun
// Dysmsapi.
const Name = "aliyun"
