package lambda

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
)

// codeURLLifetime is how long a Code.Location URL works, as AWS's
// presigned S3 URLs for function code do.
const codeURLLifetime = 10 * time.Minute

// codeLocation is the URL GetFunction hands out for downloading the code:
// signed with a key of this server's, and expiring, like AWS's presigned URL.
func (s *Service) codeLocation(info *awsproto.RequestInfo, hexSum string) string {
	expires := s.cfg.Clock.Now().Add(codeURLLifetime).Unix()
	return fmt.Sprintf("%s://%s%s%s.zip?expires=%d&signature=%s", info.Scheme, info.Host, CodePath, hexSum, expires, s.signCode(hexSum, expires))
}

func (s *Service) signCode(hexSum string, expires int64) string {
	mac := hmac.New(sha256.New, s.codeKey)
	fmt.Fprintf(mac, "%s\n%d", hexSum, expires)
	return hex.EncodeToString(mac.Sum(nil))
}

// CodePath is where CodeHandler serves deployment packages.
const CodePath = "/_nimbus/lambda/code/"

var codeFile = regexp.MustCompile(`^([0-9a-f]{64})\.zip$`)

// CodeHandler serves the deployment packages behind Code.Location URLs;
// mount it at CodePath. It answers 403 to a URL that is not signed by this
// server or has expired, as S3 does.
func (s *Service) CodeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := codeFile.FindStringSubmatch(filepath.Base(r.URL.Path))
		if m == nil || r.URL.Path != CodePath+m[0] {
			http.NotFound(w, r)
			return
		}
		expires, err := strconv.ParseInt(r.URL.Query().Get("expires"), 10, 64)
		want := s.signCode(m[1], expires)
		if err != nil || !hmac.Equal([]byte(want), []byte(r.URL.Query().Get("signature"))) {
			http.Error(w, "the code URL is not signed by this server", http.StatusForbidden)
			return
		}
		if s.cfg.Clock.Now().Unix() > expires {
			http.Error(w, "Request has expired", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		http.ServeFile(w, r, s.codeDir(m[1])+".zip")
	})
}
