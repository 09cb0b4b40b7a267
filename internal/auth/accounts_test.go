package auth

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAccountFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in    string
		akid, acct  string
		wantErr     bool
		wantInvalid bool // the error wraps ErrInvalidAccountID
	}{
		{name: "valid", in: "AKIAEXAMPLE=123456789012", akid: "AKIAEXAMPLE", acct: "123456789012"},
		{name: "spaces", in: " AKIAEXAMPLE = 123456789012 ", akid: "AKIAEXAMPLE", acct: "123456789012"},
		{name: "no equals", in: "AKIAEXAMPLE", wantErr: true},
		{name: "no key", in: "=123456789012", wantErr: true},
		{name: "short account", in: "A=12345678901", wantErr: true, wantInvalid: true},
		{name: "long account", in: "A=1234567890123", wantErr: true, wantInvalid: true},
		{name: "letters in account", in: "A=12345678901x", wantErr: true, wantInvalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			akid, acct, err := ParseAccountFlag(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseAccountFlag(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got := errors.Is(err, ErrInvalidAccountID); got != tt.wantInvalid {
				t.Errorf("errors.Is(%v, ErrInvalidAccountID) = %v, want %v", err, got, tt.wantInvalid)
			}
			if diff := cmp.Diff([]string{tt.akid, tt.acct}, []string{akid, acct}); diff != "" {
				t.Errorf("ParseAccountFlag(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseCredentialFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Credentials
		wantErr bool
	}{
		{name: "key and secret", in: "AKIA1:se/cr+et", want: Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "se/cr+et"}},
		{name: "with account", in: "AKIA1:secret:123456789012",
			want: Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "secret", Account: "123456789012"}},
		{name: "bad account", in: "AKIA1:secret:1234", wantErr: true},
		{name: "no secret", in: "AKIA1", wantErr: true},
		{name: "empty secret", in: "AKIA1:", wantErr: true},
		{name: "empty key", in: ":secret", wantErr: true},
		{name: "too many fields", in: "a:b:123456789012:d", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCredentialFlag(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseCredentialFlag(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") && strings.Contains(tt.in, ":secret") {
				t.Errorf("error %q repeats the secret", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseCredentialFlag(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestLoadCredentialsFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		want    []Credentials
		wantErr string // a substring of the error
	}{
		{name: "profiles", file: `# comment
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = s3cr3t/+=

; another comment
[profile dev]
AWS_ACCESS_KEY_ID=AKIADEV
aws_secret_access_key=devsecret
aws_session_token = tok==
account = 111122223333

[config-only]
region = eu-west-1
`, want: []Credentials{
			{AccessKeyID: "AKIADEFAULT", SecretAccessKey: "s3cr3t/+="},
			{AccessKeyID: "AKIADEV", SecretAccessKey: "devsecret", SessionToken: "tok==", Account: "111122223333"},
		}},
		{name: "empty", file: "", want: nil},
		{name: "byte order mark", file: "\uFEFF[a]\naws_access_key_id=K\naws_secret_access_key=S\n",
			want: []Credentials{{AccessKeyID: "K", SecretAccessKey: "S"}}},
		{name: "bad account", file: "[a]\naws_access_key_id=K\naws_secret_access_key=S\naccount=42\n", wantErr: ":4: profile \"a\""},
		{name: "key without secret", file: "[a]\naws_access_key_id=K\n", wantErr: ":1: profile \"a\" has aws_access_key_id but no aws_secret_access_key"},
		{name: "line outside a section", file: "aws_access_key_id=K\n", wantErr: ":1:"},
		{name: "line without equals", file: "[a]\nnonsense\n", wantErr: ":2: want name = value"},
		{name: "unclosed section", file: "[a\n", wantErr: ":1: section header without ']'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "credentials")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadCredentialsFile(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadCredentialsFile error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadCredentialsFile (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadCredentialsFileMissing(t *testing.T) {
	t.Parallel()
	_, err := LoadCredentialsFile(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	a, err := NewAccounts(
		Credentials{AccessKeyID: "AKIASTATIC", SecretAccessKey: "s"},
		Credentials{AccessKeyID: "AKIAOWNED", SecretAccessKey: "s", Account: "111111111111"},
		Credentials{AccessKeyID: "AKIAMAPPED", SecretAccessKey: "s", Account: "111111111111"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.MapAccount("AKIAMAPPED", "222222222222"); err != nil {
		t.Fatal(err)
	}
	if err := a.MapAccount("AKIAUNKNOWN", "333333333333"); err != nil {
		t.Fatal(err)
	}
	issued := a.Issue("444444444444")
	tests := []struct {
		akid      string
		account   string
		wantFound bool
	}{
		{"AKIASTATIC", DefaultAccount, true},
		{"AKIAOWNED", "111111111111", true},
		{"AKIAMAPPED", "222222222222", true},
		{"AKIAUNKNOWN", "333333333333", false},
		{"AKIANOBODY", DefaultAccount, false},
		{"", DefaultAccount, false},
		{issued.AccessKeyID, "444444444444", true},
	}
	for _, tt := range tests {
		if got := a.AccountFor(tt.akid); got != tt.account {
			t.Errorf("AccountFor(%q) = %q, want %q", tt.akid, got, tt.account)
		}
		c, found := a.Lookup(tt.akid)
		if found != tt.wantFound {
			t.Errorf("Lookup(%q) found = %v, want %v", tt.akid, found, tt.wantFound)
		}
		if found && c.Account != tt.account {
			t.Errorf("Lookup(%q).Account = %q, want %q", tt.akid, c.Account, tt.account)
		}
	}
	if c, _ := a.Lookup(issued.AccessKeyID); !cmp.Equal(c, issued) {
		t.Errorf("Lookup(issued) = %+v, want %+v", c, issued)
	}
	if !a.Revoke(issued.AccessKeyID) {
		t.Error("Revoke(issued) = false, want true")
	}
	if _, found := a.Lookup(issued.AccessKeyID); found {
		t.Error("Lookup found a revoked key")
	}
	if got := a.AccountFor(issued.AccessKeyID); got != DefaultAccount {
		t.Errorf("AccountFor(revoked) = %q, want %q", got, DefaultAccount)
	}
	if a.Revoke("AKIASTATIC") {
		t.Error("Revoke(static key) = true, want false")
	}
	if _, found := a.Lookup("AKIASTATIC"); !found {
		t.Error("Revoke removed a static key")
	}
}

func TestAccountsValidation(t *testing.T) {
	t.Parallel()
	var a Accounts // the zero value is usable
	if err := a.MapAccount("K", "12"); !errors.Is(err, ErrInvalidAccountID) {
		t.Errorf("MapAccount with a short account: error = %v, want ErrInvalidAccountID", err)
	}
	if err := a.AddCredentials(Credentials{AccessKeyID: "K", SecretAccessKey: "S", Account: "x"}); !errors.Is(err, ErrInvalidAccountID) {
		t.Errorf("AddCredentials with a bad account: error = %v, want ErrInvalidAccountID", err)
	}
	if err := a.AddCredentials(Credentials{AccessKeyID: "K"}); err == nil {
		t.Error("AddCredentials without a secret: no error")
	}
	if _, found := a.Lookup("K"); found {
		t.Error("a failed AddCredentials added a key")
	}
	var nilAccounts *Accounts
	if got := nilAccounts.AccountFor("K"); got != DefaultAccount {
		t.Errorf("nil AccountFor = %q, want %q", got, DefaultAccount)
	}
	if _, found := nilAccounts.Lookup("K"); found {
		t.Error("nil Lookup found a key")
	}
}

func TestIssueShape(t *testing.T) {
	t.Parallel()
	var a Accounts
	akid := regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`)
	secret := regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
	seen := map[string]bool{}
	for range 200 {
		c := a.Issue("")
		if !akid.MatchString(c.AccessKeyID) {
			t.Errorf("AccessKeyID %q does not look like ASIA + 16 upper-case alphanumerics", c.AccessKeyID)
		}
		if !secret.MatchString(c.SecretAccessKey) {
			t.Errorf("SecretAccessKey %q is not 40 base64 characters", c.SecretAccessKey)
		}
		if c.SessionToken == "" || c.Account != DefaultAccount {
			t.Errorf("Issue(\"\") = %+v, want a session token and the default account", c)
		}
		if seen[c.AccessKeyID] || seen[c.SecretAccessKey] || seen[c.SessionToken] {
			t.Fatalf("Issue repeated a value: %+v", c)
		}
		seen[c.AccessKeyID], seen[c.SecretAccessKey], seen[c.SessionToken] = true, true, true
	}
}

func TestAccountsConcurrent(t *testing.T) {
	t.Parallel()
	a, err := NewAccounts(Credentials{AccessKeyID: "AKIASTATIC", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				c := a.Issue("123456789012")
				if got, found := a.Lookup(c.AccessKeyID); !found || got.SessionToken != c.SessionToken {
					t.Errorf("Lookup of a just-issued key = %+v, %v", got, found)
				}
				a.AccountFor("AKIASTATIC")
				if i%2 == 0 {
					a.MapAccount("AKIAX", "123456789012")
				}
				a.Revoke(c.AccessKeyID)
			}
		})
	}
	wg.Wait()
}
