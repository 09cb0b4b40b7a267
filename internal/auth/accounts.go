package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// DefaultAccount is the account of every access key not mapped to another,
// the one awslocal and cdklocal expect.
const DefaultAccount = "000000000000"

// ErrInvalidAccountID is returned (wrapped) for an account id that is not
// 12 digits.
var ErrInvalidAccountID = errors.New("auth: account id must be 12 digits")

// Accounts knows the access keys Nimbus accepts and the account each belongs
// to: static keys (from flags or a credentials file), explicit AKID→account
// mappings, and temporary keys it issued itself. It is a CredentialStore.
//
// The zero value is an empty store, ready to use; a nil *Accounts maps every
// key to DefaultAccount and knows none. All methods are safe for concurrent
// use.
type Accounts struct {
	mu       sync.RWMutex
	static   map[string]Credentials // by access key id
	issued   map[string]Credentials // by access key id
	accounts map[string]string      // access key id → account
}

var _ CredentialStore = (*Accounts)(nil)

// NewAccounts returns a store holding creds. Each credential's Account, when
// set, must be 12 digits.
func NewAccounts(creds ...Credentials) (*Accounts, error) {
	a := &Accounts{}
	if err := a.AddCredentials(creds...); err != nil {
		return nil, err
	}
	return a, nil
}

// AddCredentials adds static credentials, replacing any with the same access
// key id. A credential's Account, when set, must be 12 digits; nothing is
// added if one is not.
func (a *Accounts) AddCredentials(creds ...Credentials) error {
	for _, c := range creds {
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return fmt.Errorf("auth: adding credentials %q: access key id and secret are required", c.AccessKeyID)
		}
		if c.Account != "" && !ValidAccountID(c.Account) {
			return fmt.Errorf("auth: adding credentials %q: %w, got %q", c.AccessKeyID, ErrInvalidAccountID, c.Account)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.static == nil {
		a.static = map[string]Credentials{}
	}
	for _, c := range creds {
		a.static[c.AccessKeyID] = c
	}
	return nil
}

// MapAccount maps accessKeyID to account, which must be 12 digits. The
// mapping wins over a credential's own Account.
func (a *Accounts) MapAccount(accessKeyID, account string) error {
	if !ValidAccountID(account) {
		return fmt.Errorf("auth: mapping %q: %w, got %q", accessKeyID, ErrInvalidAccountID, account)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.accounts == nil {
		a.accounts = map[string]string{}
	}
	a.accounts[accessKeyID] = account
	return nil
}

// Lookup returns the credentials of accessKeyID, static or issued, with
// Account set to AccountFor(accessKeyID).
func (a *Accounts) Lookup(accessKeyID string) (Credentials, bool) {
	if a == nil {
		return Credentials{}, false
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	c, ok := a.issued[accessKeyID]
	if !ok {
		c, ok = a.static[accessKeyID]
	}
	if !ok {
		return Credentials{}, false
	}
	c.Account = a.accountLocked(accessKeyID)
	return c, true
}

// AccountFor returns the account of accessKeyID: its mapping, else the
// account of its credentials (issued or static), else DefaultAccount. Any
// key, known or not, has an account, so unsigned requests and unverified
// keys land in DefaultAccount.
func (a *Accounts) AccountFor(accessKeyID string) string {
	if a == nil {
		return DefaultAccount
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.accountLocked(accessKeyID)
}

func (a *Accounts) accountLocked(accessKeyID string) string {
	if acct, ok := a.accounts[accessKeyID]; ok {
		return acct
	}
	if c, ok := a.issued[accessKeyID]; ok && c.Account != "" {
		return c.Account
	}
	if c, ok := a.static[accessKeyID]; ok && c.Account != "" {
		return c.Account
	}
	return DefaultAccount
}

// Issue mints temporary credentials in account (DefaultAccount when empty),
// as STS would for a function's execution role: an access key id of "ASIA"
// and 16 upper-case letters and digits, a 40-character secret and a session
// token, all random. Lookup knows them, and AccountFor maps them to account,
// until Revoke. Issue does not check account: callers pass the account of a
// resource that exists.
func (a *Accounts) Issue(account string) Credentials {
	if account == "" {
		account = DefaultAccount
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.issued == nil {
		a.issued = map[string]Credentials{}
	}
	for {
		c := Credentials{
			AccessKeyID:     "ASIA" + randomString(16, upperAlnum),
			SecretAccessKey: randomString(40, base64Chars),
			SessionToken:    randomString(256, base64Chars),
			Account:         account,
		}
		if _, taken := a.issued[c.AccessKeyID]; taken {
			continue
		}
		if _, taken := a.static[c.AccessKeyID]; taken {
			continue
		}
		a.issued[c.AccessKeyID] = c
		return c
	}
}

// Revoke forgets the temporary credentials accessKeyID that Issue made;
// static credentials are left alone. It reports whether there were any.
func (a *Accounts) Revoke(accessKeyID string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.issued[accessKeyID]
	delete(a.issued, accessKeyID)
	return ok
}

const (
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString returns n characters drawn uniformly from alphabet (at most
// 256 characters) with crypto/rand.
func randomString(n int, alphabet string) string {
	// Reject bytes past the largest multiple of len(alphabet) so each
	// character is equally likely.
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		rand.Read(buf) // never fails: crypto/rand crashes the program instead
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// ValidAccountID reports whether s is a 12-digit AWS account id.
func ValidAccountID(s string) bool { return len(s) == 12 && isDigits(s) }

// ParseAccountFlag reads a --account value, AKID=123456789012.
func ParseAccountFlag(s string) (accessKeyID, account string, err error) {
	akid, acct, ok := strings.Cut(strings.TrimSpace(s), "=")
	akid, acct = strings.TrimSpace(akid), strings.TrimSpace(acct)
	switch {
	case !ok || akid == "":
		return "", "", fmt.Errorf("auth: account flag %q: want AKID=123456789012", s)
	case !ValidAccountID(acct):
		return "", "", fmt.Errorf("auth: account flag %q: %w, got %q", s, ErrInvalidAccountID, acct)
	}
	return akid, acct, nil
}

// ParseCredentialFlag reads a --credentials value, AKID:SECRET or
// AKID:SECRET:ACCOUNT.
func ParseCredentialFlag(s string) (Credentials, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Credentials{}, fmt.Errorf("auth: credentials flag: want AKID:SECRET[:ACCOUNT], got %d fields", len(parts))
	}
	c := Credentials{AccessKeyID: parts[0], SecretAccessKey: parts[1]}
	if len(parts) == 3 {
		if !ValidAccountID(parts[2]) {
			return Credentials{}, fmt.Errorf("auth: credentials flag for %q: %w, got %q", parts[0], ErrInvalidAccountID, parts[2])
		}
		c.Account = parts[2]
	}
	return c, nil
}
