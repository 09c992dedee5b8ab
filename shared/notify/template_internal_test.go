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
