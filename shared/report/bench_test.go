package report

import (
	"fmt"
	"strings"
	"testing"
)

// push builds an Aliyun push of n records, each made from record with %d
// replaced by its index.
func push(n int, record string) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, record, i)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

func BenchmarkAliyunSMSReport100(b *testing.B) {
	body := push(100, `{"phone_number":"13811112222","send_time":"2017-01-01 00:00:00","report_time":"2017-01-01 00:00:03",`+
		`"success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"900619746936498440^%d","out_id":"67890"}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if r, err := AliyunSMSReport(body); err != nil || len(r) != 100 {
			b.Fatalf("got %d reports, %v", len(r), err)
		}
	}
}

func BenchmarkAliyunVoiceReport100(b *testing.B) {
	body := push(100, `{"call_id":"122628733198^%d","status_code":"200000","status_msg":"执行完成","smart_status_code":"ANSWERED",`+
		`"caller":"0571****0000","callee":"13000000000","start_time":"2021-04-28 10:03:40","end_time":"2021-04-28 10:03:50",`+
		`"duration":"10","originate_time":"2021-04-28 10:02:34","ring_time":"2021-04-28 10:02:40","hangup_direction":"用户",`+
		`"voice_type":"voice","dtmf":"1","out_id":"abcdefgh","toll_type":"LOCAL","b_duration":10}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if r, err := AliyunVoiceReport(body); err != nil || len(r) != 100 {
			b.Fatalf("got %d reports, %v", len(r), err)
		}
	}
}
