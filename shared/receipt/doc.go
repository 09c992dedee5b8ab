// Package receipt parses the delivery receipts that providers push to the
// callback function: Aliyun's SmsReport, SmsUp, VoiceReport and
// VoiceCallReport, Tencent Cloud's SMS status callback and Ronglian
// (Cloopen)'s SMSArrived push. It does no I/O and keeps nothing: each parser
// turns one request body into records, and the caller stores them and answers
// the provider with the acknowledgement it expects (AliyunAck, TencentAck,
// CloopenAck).
//
// The parsers accept what providers really send rather than only what their
// pages document: a JSON array of records or a single object (Aliyun's
// receipts fetched through MNS arrive one per message), and numbers,
// strings, booleans or null for any field (Aliyun's sequence_id, sms_size,
// duration and b_duration have each been documented as both). Every record
// keeps its JSON as it arrived in Raw, for the table of receipts that match
// no message.
//
// A body that is not JSON, holds no record or more than MaxRecords, a record
// without its id, or a field longer than makes sense is refused whole with an
// *notify.Error of kind Invalid and Reason "invalid_receipt", whose message
// names the provider, the record (counting from 1) and the field. Errors never
// quote a phone number or a message's content: receipts carry personal data.
// A time in a layout we do not know is not an error: the outcome matters more
// than its timestamp, and a refused push is retried only a few times before
// the provider drops it. Such a record has a zero At.
//
// Statuses map to the core's: a receipt that says the message arrived is
// notify.Delivered, any other final receipt is notify.Failed. A voice call
// counts as delivered when it was answered: 200000 (listened to the end) and
// also 200001 (hung up early), since the callee heard at least the start of
// the message; Code keeps the difference. The intermediate voice call states
// of VoiceCallReport (200101 calling, 200201 ringing, 200102 answered, 200100
// call ended, 300000 DTMF) are notify.Submitted: the call is under way and a
// final VoiceReport follows, so a store must never move a message back from
// a final status on one.
package receipt
