package notify

import "testing"

// TestLimitKindByVariable: an unregistered template is a verification
// code's by any usual name of its code variable, in any case, so that a
// caller cannot send codes past their limits by naming it otherwise; a
// registered template's kind stands.
func TestLimitKindByVariable(t *testing.T) {
	for _, tt := range []struct {
		params map[string]string
		want   LimitKind
	}{
		{map[string]string{"code": "123456"}, VerificationSMS},
		{map[string]string{"Code": "123456"}, VerificationSMS},
		{map[string]string{"OTP": "123456"}, VerificationSMS},
		{map[string]string{"verify_code": "123456", "name": "Ann"}, VerificationSMS},
		{map[string]string{"sms-code": "123456"}, VerificationSMS},
		{map[string]string{"验证码": "123456"}, VerificationSMS},
		{map[string]string{"orderCode": "A-7", "name": "Ann"}, NotificationSMS},
		{map[string]string{"name": "Ann"}, NotificationSMS},
		{nil, NotificationSMS},
	} {
		if got := limitKind(nil, tt.params); got != tt.want {
			t.Errorf("limitKind(%v) = %s, want %s", tt.params, got, tt.want)
		}
	}
	if got := limitKind(&Template{Kind: NotificationSMS}, map[string]string{"code": "1"}); got != NotificationSMS {
		t.Errorf("a registered notification with a code variable counts as %s", got)
	}
}

// TestPrintableRefusesC1Controls: "printable" refuses the C1 controls
// (U+0080 to U+009F: NEL, a line break; CSI, a terminal's escape) as it
// does the C0 ones, in a template variable of any text, a sign name and
// an OutId.
func TestPrintableRefusesC1Controls(t *testing.T) {
	tm := &Template{Name: "notice", Variables: []Variable{{Name: "name"}}}
	for _, c := range []string{"\u0085", "\u009b", "\u0080"} {
		if _, err := tm.values(map[string]string{"name": "张" + c + "三"}, "TemplateParam"); AsError(err).Reason != ReasonInvalidParameter {
			t.Errorf("variable with %U: %v; want %s", []rune(c)[0], err, ReasonInvalidParameter)
		}
		r := SMSRequest{PhoneNumbers: []string{"13800138000"}, SignName: "通" + c + "知", TemplateCode: "SMS_1"}
		if _, err := r.validate(sendFields); AsError(err).Field != "SignName" {
			t.Errorf("sign name with %U: %v; want a refusal naming SignName", []rune(c)[0], err)
		}
		r = SMSRequest{PhoneNumbers: []string{"13800138000"}, SignName: "通知", TemplateCode: "SMS_1", OutID: "a" + c}
		if _, err := r.validate(sendFields); AsError(err).Field != "OutId" {
			t.Errorf("OutId with %U: %v; want a refusal naming OutId", []rune(c)[0], err)
		}
	}
	if _, err := tm.values(map[string]string{"name": "张三 👨‍👩‍👧 é"}, "TemplateParam"); err != nil {
		t.Errorf("Chinese, a ZWJ emoji and a combining mark: %v", err)
	}
}
