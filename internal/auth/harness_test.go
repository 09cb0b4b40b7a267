package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/clock"
)

// signTime is when the test requests are signed.
var signTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// result is what the test server answered: 200 and no code when the
// signature verified.
type result struct {
	Status  int
	Code    string
	Message string
}

// harness is a real HTTP server whose handler parses and verifies every
// request, as the edge does.
type harness struct {
	srv      *httptest.Server
	clock    *clock.Fake
	accounts *Accounts
	verifier *Verifier
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	accts, err := NewAccounts(Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{clock: clock.NewFake(signTime.Add(time.Minute)), accounts: accts}
	h.verifier = NewVerifier(accts, h.clock)
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(body)
	sig, err := ParseRequest(r)
	if err == nil {
		err = h.verifier.Verify(r, sig, hex.EncodeToString(sum[:]))
	}
	if err == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	e, ok := err.(*awserr.Error)
	if !ok {
		http.Error(w, "not an *awserr.Error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(result{Status: e.Status, Code: e.Code, Message: e.Message})
}

// do sends req and reads the answer.
func (h *harness) do(t *testing.T, req *http.Request) result {
	t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return result{Status: http.StatusOK}
	}
	var res result
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("status %d, body %q", resp.StatusCode, b)
	}
	return res
}

// spec describes a request to sign and send.
type spec struct {
	method   string
	path     string // URL.Path
	rawPath  string // URL.RawPath, when the path is sent encoded differently
	rawQuery string
	header   map[string]string
	// addHeader adds a second value to headers.
	addHeader map[string]string
	body      string
	service   string
	region    string
	creds     aws.Credentials
	// s3 signs as the S3 client does: x-amz-content-sha256 and no second
	// path encoding.
	s3 bool
	// unsignedPayload sets x-amz-content-sha256: UNSIGNED-PAYLOAD (S3 only).
	unsignedPayload bool
	// signedPath, when set, is the path the signer sees; path is then what
	// is sent.
	signedPath string
}

func (s spec) withDefaults() spec {
	if s.method == "" {
		s.method = http.MethodPost
	}
	if s.path == "" {
		s.path = "/"
	}
	if s.service == "" {
		s.service = "lambda"
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.creds.AccessKeyID == "" {
		s.creds = aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	}
	return s
}

// newRequest builds the unsigned request of s against the harness.
func (h *harness) newRequest(t *testing.T, s spec) *http.Request {
	t.Helper()
	req, err := http.NewRequest(s.method, h.srv.URL, strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = s.path, s.rawPath, s.rawQuery
	if s.signedPath != "" {
		req.URL.Path, req.URL.RawPath = s.signedPath, ""
	}
	for k, v := range s.header {
		req.Header.Set(k, v)
	}
	for k, v := range s.addHeader {
		req.Header.Add(k, v)
	}
	if s.s3 && req.Header.Get("X-Amz-Content-Sha256") == "" {
		hash := sha256Hex(s.body)
		if s.unsignedPayload {
			hash = UnsignedPayload
		}
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	return req
}

// sign signs s with the SDK's signer, then restores the path to send.
func (h *harness) sign(t *testing.T, s spec) *http.Request {
	t.Helper()
	s = s.withDefaults()
	req := h.newRequest(t, s)
	hash := sha256Hex(s.body)
	if s.s3 {
		hash = req.Header.Get("X-Amz-Content-Sha256")
	}
	err := v4.NewSigner().SignHTTP(context.Background(), s.creds, req, hash, s.service, s.region, signTime,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s.s3 })
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Path, req.URL.RawPath = s.path, s.rawPath
	return req
}

// presign presigns s with the SDK's signer and returns the request to send.
func (h *harness) presign(t *testing.T, s spec) *http.Request {
	t.Helper()
	s = s.withDefaults()
	req := h.newRequest(t, s)
	hash := sha256Hex(s.body)
	if s.s3 {
		req.Header.Del("X-Amz-Content-Sha256")
		hash = UnsignedPayload
	}
	u, signed, err := v4.NewSigner().PresignHTTP(context.Background(), s.creds, req, hash, s.service, s.region, signTime,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s.s3 })
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(s.method, u, bytes.NewReader([]byte(s.body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range signed {
		if !strings.EqualFold(k, "Host") {
			out.Header[k] = v
		}
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
