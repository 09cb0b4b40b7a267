package awsproto

import (
	"encoding/xml"
	"net/http"

	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// WriteQueryError writes e as the query protocol does:
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
func WriteQueryError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	code := e.Code
	if e.QueryCode != "" {
		code = e.QueryCode
	}
	fault := "Sender"
	if e.Fault == awserr.Receiver {
		fault = "Receiver"
	}
	body := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Type      string   `xml:"Error>Type"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestID string   `xml:"RequestId"`
	}{Type: fault, Code: code, Message: e.Message, RequestID: requestID}
	writeXMLError(w, e, body)
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
