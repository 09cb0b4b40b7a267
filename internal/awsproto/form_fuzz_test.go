package awsproto_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"testing"
)

// FuzzQueryForm feeds arbitrary bodies to the query codec: whatever the
// form, the answer is a 200 with well-formed XML or a 4xx query error,
// never a panic or a 5xx. The Echo operation answers its decoded input, so
// the XML encoder sees every value the decoder can make. Seeds are forms
// as the query-era SDKs and botocore send them.
func FuzzQueryForm(f *testing.F) {
	for _, seed := range []string{
		"Action=Echo&Version=2020-01-01&Name=a+b&Enabled=true&Size=1099511627776&Count=-3&Ratio=0.25" +
			"&When=2026-01-02T03%3A04%3A05.678Z&Blob=AAH%2F&Label.1=x&Label.2=y&Wrapped.member.1=w1",
		"Action=Echo&Tag.1.Key=team&Tag.1.Value=blue&Tag.2.Key=empty&Tag.2.Value=&Plain.entry.1.key=k&Plain.entry.1.value=v",
		"Action=Echo&Entry.1.Id=e1&Entry.1.DelaySeconds=5&Entry.2.Id=e2&Nested.Deep=down&Nested.Items.Item.1=i1",
		"Action=Echo&Value.1.Name=attr&Value.1.Value.DataType=String&Value.1.Value.StringValue=sv" +
			"&Value.1.Value.StringListValue.1=l1&Value.2.Name=bin&Value.2.Value.DataType=Binary&Value.2.Value.BinaryValue=cmF3",
		"Action=Echo&Label=&Wrapped=&Label.10=c&Label.0=no&tags.1.Key=k",
		"Action=Echo&Name=%zz",
		"Action=Echo&Name=%00%EF%BF%BE%ED%A0%80",
		"Action=Fail&Version=2012-11-05",
		"Action=Nothing",
		"Version=2012-11-05",
		"Action=Echo&Count=99999999999&Size=x&When=yesterday",
		"Action=Echo&....=&Entry..Id=1&Entry.1..=2&Value.1.Value.Value.Value=3",
	} {
		f.Add("/", seed)
		f.Add("/000000000000/orders", seed)
	}
	spec := echoSpec()
	f.Fuzz(func(t *testing.T, path, body string) {
		if len(path) == 0 || path[0] != '/' {
			path = "/" + path
		}
		r, err := http.NewRequest("POST", "http://nimbus.test/", bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		r.URL.Path = path
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := serveQuery(t, spec, r)
		switch {
		case rec.Code == http.StatusOK:
		case rec.Code >= 400 && rec.Code < 500:
		case rec.Code == http.StatusInternalServerError && bytes.Contains([]byte(body), []byte("Action=Broken")):
		default:
			t.Fatalf("body %q answered %d: %s", body, rec.Code, rec.Body)
		}
		d := xml.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("body %q answered malformed XML (%v): %s", body, err, rec.Body)
			}
		}
	})
}
