package lambda

import (
	"net/http"

	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// ErrAccessDeniedException answers a call on another account's function.
// The Lambda model has no such shape; AWS answers IAM's AccessDeniedException.
func ErrAccessDeniedException(format string, args ...any) *awserr.Error {
	e := awserr.New(http.StatusForbidden, "AccessDeniedException", format, args...)
	e.MessageMember = "Message"
	return e
}
