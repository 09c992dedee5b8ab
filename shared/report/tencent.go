package report

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

type tencentRecord struct {
	UserReceiveTime scalar `json:"user_receive_time"`
	NationCode      scalar `json:"nationcode"`
	Mobile          scalar `json:"mobile"`
	ReportStatus    scalar `json:"report_status"`
	ErrMsg          scalar `json:"errmsg"`
	Description     scalar `json:"description"`
	SID             scalar `json:"sid"`
}

// TencentSMS parses a Tencent Cloud SMS status callback. report_status
// SUCCESS is delivered and FAIL failed; Code is the carrier's errmsg
// (DELIVRD, ...), or report_status when errmsg is empty. The recipient is
// nationcode and mobile joined.
func TencentSMS(body []byte) ([]Report, error) {
	return parse("tencent sms", body, func(r *tencentRecord, raw json.RawMessage) (Report, error) {
		if err := check(field{"sid", r.SID, maxID}, field{"nationcode", r.NationCode, maxCode},
			field{"mobile", r.Mobile, maxPhone}, field{"report_status", r.ReportStatus, maxCode},
			field{"errmsg", r.ErrMsg, maxCode}, field{"description", r.Description, maxText},
			field{"user_receive_time", r.UserReceiveTime, maxTime}); err != nil {
			return Report{}, err
		}
		if err := require("sid", r.SID); err != nil {
			return Report{}, err
		}
		var st notify.Status
		switch s := strings.TrimSpace(string(r.ReportStatus)); {
		case strings.EqualFold(s, "SUCCESS"):
			st = notify.Delivered
		case strings.EqualFold(s, "FAIL"):
			st = notify.Failed
		case s == "":
			return Report{}, errors.New("report_status missing")
		default:
			return Report{}, errors.New("report_status is neither SUCCESS nor FAIL")
		}
		code := r.ErrMsg
		if code == "" {
			code = r.ReportStatus
		}
		return Report{Provider: notify.ProviderTencent, Channel: notify.SMS, ProviderID: string(r.SID),
			Recipient: tencentPhone(r.NationCode, r.Mobile), Status: st, Code: string(code),
			Text: string(r.Description), At: when(r.UserReceiveTime), Raw: raw}, nil
	})
}

// tencentPhone joins a country code and a national number into the
// canonical form, or returns the number as sent when they make none.
func tencentPhone(nationCode, mobile scalar) string {
	cc := strings.TrimPrefix(strings.TrimSpace(string(nationCode)), "+")
	m := strings.TrimSpace(string(mobile))
	if cc != "" && !strings.HasPrefix(m, "+") {
		if p, ok := notify.NormalizePhone("+" + cc + m); ok {
			return p
		}
	}
	return phone(mobile)
}
