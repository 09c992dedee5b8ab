package tencentsms

// Name is the provider name records give for messages sent through Tencent
// Cloud SMS.
const Name = "tencent"
