package report_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/seed4ddb146e/notify/shared/report"
)

func ExampleAliyunSMSReport() {
	body := []byte(`[{"phone_number":"+8613800138000","report_time":"2017-01-01 00:00:03","success":true,
		"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"12345^0","out_id":"67890"},
		{"phone_number":"1381111****","success":"false","err_code":"MK:0001","biz_id":"12345^0"}]`)
	reports, err := report.AliyunSMSReport(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range reports {
		fmt.Println(r.ProviderID, r.Recipient, r.Status, r.Code, r.OutID, r.At.Format("2006-01-02T15:04:05Z07:00"))
	}
	_, err = report.AliyunSMSReport([]byte(`[{"phone_number":"13800138000","success":true}]`))
	fmt.Println(err)
	// Output:
	// 12345^0 13800138000 delivered DELIVERED 67890 2017-01-01T00:00:03+08:00
	// 12345^0 1381111**** failed MK:0001  0001-01-01T00:00:00Z
	// report: aliyun sms-report record 1: biz_id missing
}

// A callback handler parses the push, records it, then answers with the
// provider's acknowledgement; a push it cannot read gets a 400, so the
// provider keeps it for an operator rather than counting it delivered.
func ExampleTencentSMS() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, report.MaxBodyBytes))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		reports, err := report.TencentSMS(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rep := range reports { // the store would record them here
			fmt.Println(rep.ProviderID, rep.Recipient, rep.Status, rep.Code, rep.Text)
		}
		w.Header().Set("Content-Type", report.AckContentType)
		_, _ = io.WriteString(w, report.TencentAck)
	})
	push := `[{"user_receive_time":"2015-10-17 08:03:04","nationcode":"86","mobile":"13800138000",
		"report_status":"FAIL","errmsg":"MK:0001","description":"用户短信未送达","sid":"5000:1045710669157053657849499619"}]`
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/callback/token/tencent/sms", strings.NewReader(push)))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 5000:1045710669157053657849499619 13800138000 failed MK:0001 用户短信未送达
	// 200 {"result":0,"errmsg":"OK"}
}
