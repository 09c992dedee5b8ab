// Package report parses the delivery reports that providers push to the
// callback function: Aliyun's SmsReport, SmsUp, VoiceReport and
// VoiceCallReport, Tencent Cloud's SMS status callback and Ronglian
// (Cloopen)'s SMSArrived push. It does no I/O and keeps nothing: each parser
// turns one request body into records, and the caller stores them and answers
// the provider with the acknowledgement it expects (AliyunAck, TencentAck,
// CloopenAck).
//
// docs/providers.md has the pushes' shapes and, under "Reports, as the
// parsers read them", what the parsers accept, what they refuse, and how
// each provider's statuses map to the core's.
package report
