package awsproto

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"net/http"

	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// WriteQueryError writes e as the query protocol does:
// <ErrorResponse><Error><Type/><Code/><Message/><Detail/></Error><RequestId/></ErrorResponse>,
// with e's query code when it has one. Services that speak the query
// protocol answer through their codec (Spec.CodecFor), which adds their
// XML namespace.
func WriteQueryError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	writeQueryError(w, e, requestID, "")
}

// writeQueryError writes e as the query protocol's error:
// <ErrorResponse xmlns="…"><Error><Type/><Code/><Message/><Detail/></Error><RequestId/></ErrorResponse>,
// with e's query code when it has one.
func writeQueryError(w http.ResponseWriter, e *awserr.Error, requestID, namespace string) {
	code := cmp.Or(e.QueryCode, e.Code)
	fault := "Sender"
	if e.Fault == awserr.Receiver {
		fault = "Receiver"
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<ErrorResponse")
	if namespace != "" {
		b.WriteString(` xmlns="`)
		xml.EscapeText(&b, []byte(namespace))
		b.WriteString(`"`)
	}
	b.WriteString("><Error><Type>" + fault + "</Type><Code>")
	xml.EscapeText(&b, []byte(code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(e.Message))
	b.WriteString("</Message><Detail/></Error><RequestId>")
	xml.EscapeText(&b, []byte(requestID))
	b.WriteString("</RequestId></ErrorResponse>")
	for k, vals := range e.Header {
		for _, v := range vals {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	w.Write(b.Bytes())
}

// WriteRestXMLError writes e as S3's restXml does: <Error><Code/><Message/><RequestId/></Error>.
func WriteRestXMLError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	body := struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
	}{Code: e.Code, Message: e.Message, RequestID: requestID}
	writeXMLError(w, e, body)
}

func writeXMLError(w http.ResponseWriter, e *awserr.Error, body any) {
	for k, vals := range e.Header {
		for _, v := range vals {
			w.Header().Add(k, v)
		}
	}
	out, _ := xml.Marshal(body)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	w.Write([]byte(xml.Header))
	w.Write(out)
}
