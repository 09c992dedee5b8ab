package report

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

type aliyunSMSRecord struct {
	PhoneNumber scalar `json:"phone_number"`
	ReportTime  scalar `json:"report_time"`
	Success     scalar `json:"success"`
	ErrCode     scalar `json:"err_code"`
	ErrMsg      scalar `json:"err_msg"`
	BizID       scalar `json:"biz_id"`
	OutID       scalar `json:"out_id"`
}

// AliyunSMSReport parses an Aliyun SmsReport push: the carrier's word on
// each SMS. A record is delivered when success is true (a JSON boolean or
// the string "true"); without success, when err_code is DELIVERED.
func AliyunSMSReport(body []byte) ([]Report, error) {
	return parse("aliyun sms-report", body, func(r *aliyunSMSRecord, raw json.RawMessage) (Report, error) {
		if err := check(field{"biz_id", r.BizID, maxID}, field{"phone_number", r.PhoneNumber, maxPhone},
			field{"report_time", r.ReportTime, maxTime}, field{"success", r.Success, maxCode},
			field{"err_code", r.ErrCode, maxCode}, field{"err_msg", r.ErrMsg, maxText},
			field{"out_id", r.OutID, maxOutID}); err != nil {
			return Report{}, err
		}
		if err := require("biz_id", r.BizID); err != nil {
			return Report{}, err
		}
		st, err := aliyunSMSStatus(r.Success, r.ErrCode)
		if err != nil {
			return Report{}, err
		}
		return Report{Provider: notify.ProviderAliyun, Channel: notify.SMS, ProviderID: string(r.BizID),
			Recipient: phone(r.PhoneNumber), Status: st, Code: string(r.ErrCode), Text: string(r.ErrMsg),
			OutID: string(r.OutID), At: when(r.ReportTime), Raw: raw}, nil
	})
}

func aliyunSMSStatus(success, errCode scalar) (notify.Status, error) {
	switch strings.ToLower(strings.TrimSpace(string(success))) {
	case "true":
		return notify.Delivered, nil
	case "false":
		return notify.Failed, nil
	case "":
		switch strings.TrimSpace(string(errCode)) {
		case "DELIVERED":
			return notify.Delivered, nil
		case "":
			return "", errors.New("success missing")
		}
		return notify.Failed, nil
	}
	return "", errors.New("success is neither true nor false")
}

type aliyunSMSUpRecord struct {
	PhoneNumber scalar `json:"phone_number"`
	Content     scalar `json:"content"`
	SendTime    scalar `json:"send_time"`
	DestCode    scalar `json:"dest_code"`
	SequenceID  scalar `json:"sequence_id"`
	SignName    scalar `json:"sign_name"`
}

// AliyunSMSUp parses an Aliyun SmsUp push: SMS that people sent back. A
// record must name its sender (phone_number); sequence_id, a number in older
// documents and a string in newer ones, arrives as its text either way.
func AliyunSMSUp(body []byte) ([]Inbound, error) {
	return parse("aliyun sms-up", body, func(r *aliyunSMSUpRecord, raw json.RawMessage) (Inbound, error) {
		if err := check(field{"phone_number", r.PhoneNumber, maxPhone}, field{"content", r.Content, maxContent},
			field{"send_time", r.SendTime, maxTime}, field{"dest_code", r.DestCode, maxCode},
			field{"sequence_id", r.SequenceID, maxID}, field{"sign_name", r.SignName, maxText}); err != nil {
			return Inbound{}, err
		}
		if err := require("phone_number", r.PhoneNumber); err != nil {
			return Inbound{}, err
		}
		return Inbound{Provider: notify.ProviderAliyun, Recipient: phone(r.PhoneNumber), Content: string(r.Content),
			DestCode: string(r.DestCode), SignName: string(r.SignName), SequenceID: string(r.SequenceID),
			At: when(r.SendTime), Raw: raw}, nil
	})
}

type aliyunVoiceRecord struct {
	CallID        scalar `json:"call_id"`
	StatusCode    scalar `json:"status_code"`
	StatusMsg     scalar `json:"status_msg"`
	Callee        scalar `json:"callee"`
	EndTime       scalar `json:"end_time"`
	OriginateTime scalar `json:"originate_time"`
	StatusTime    scalar `json:"status_time"`
	OutID         scalar `json:"out_id"`
}

// AliyunVoiceReport parses an Aliyun VoiceReport push (the record of a call
// after hangup) or a VoiceCallReport push (its intermediate states); both
// may share one callback URL. At is status_time for an intermediate state,
// else end_time, else, for a call nobody answered, originate_time.
func AliyunVoiceReport(body []byte) ([]Report, error) {
	return parse("aliyun voice-report", body, func(r *aliyunVoiceRecord, raw json.RawMessage) (Report, error) {
		if err := check(field{"call_id", r.CallID, maxID}, field{"status_code", r.StatusCode, maxCode},
			field{"status_msg", r.StatusMsg, maxText}, field{"callee", r.Callee, maxPhone},
			field{"end_time", r.EndTime, maxTime}, field{"originate_time", r.OriginateTime, maxTime},
			field{"status_time", r.StatusTime, maxTime}, field{"out_id", r.OutID, maxOutID}); err != nil {
			return Report{}, err
		}
		if err := require("call_id", r.CallID); err != nil {
			return Report{}, err
		}
		if err := require("status_code", r.StatusCode); err != nil {
			return Report{}, err
		}
		code := strings.TrimSpace(string(r.StatusCode))
		return Report{Provider: notify.ProviderAliyun, Channel: notify.Voice, ProviderID: string(r.CallID),
			Recipient: phone(r.Callee), Status: CallStatus(code), Code: code, Text: string(r.StatusMsg),
			OutID: string(r.OutID), At: when(r.StatusTime, r.EndTime, r.OriginateTime), Raw: raw}, nil
	})
}

// CallStatus maps an Aliyun call status code (reports and
// QueryCallDetailByCallId): answered is delivered, the
// intermediate states are submitted, and every other code is a call that
// failed for good (busy, no answer, invalid number, ..., 999999).
func CallStatus(code string) notify.Status {
	switch code {
	case "200000", "200001":
		return notify.Delivered
	case "200100", "200101", "200102", "200201", "300000":
		return notify.Submitted
	}
	return notify.Failed
}
