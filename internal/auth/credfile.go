package auth

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// LoadCredentialsFile reads an AWS shared credentials file (INI): one
// [profile] section per key pair, with aws_access_key_id,
// aws_secret_access_key, optional aws_session_token, and Nimbus's own
// account = 123456789012. Sections without aws_access_key_id (for example
// config-only profiles) are skipped; the others are returned in file order.
// Names are case-insensitive; lines starting with # or ; are comments.
func LoadCredentialsFile(path string) ([]Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: loading credentials: %w", err)
	}
	defer f.Close()
	creds, err := parseCredentials(f, path)
	if err != nil {
		return nil, fmt.Errorf("auth: loading credentials: %w", err)
	}
	return creds, nil
}

// parseCredentials reads a credentials file from r; name is used in errors.
func parseCredentials(r io.Reader, name string) ([]Credentials, error) {
	type section struct {
		name string
		line int
		c    Credentials
	}
	var sections []*section
	var cur *section
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: section header without ']'", name, n)
			}
			cur = &section{name: strings.TrimSpace(line[1:end]), line: n}
			sections = append(sections, cur)
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want name = value", name, n)
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: %q outside a [profile] section", name, n, strings.TrimSpace(k))
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "aws_access_key_id":
			cur.c.AccessKeyID = v
		case "aws_secret_access_key":
			cur.c.SecretAccessKey = v
		case "aws_session_token":
			cur.c.SessionToken = v
		case "account":
			if !ValidAccountID(v) {
				return nil, fmt.Errorf("%s:%d: profile %q: %w, got %q", name, n, cur.name, ErrInvalidAccountID, v)
			}
			cur.c.Account = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var creds []Credentials
	for _, s := range sections {
		if s.c.AccessKeyID == "" {
			continue
		}
		if s.c.SecretAccessKey == "" {
			return nil, fmt.Errorf("%s:%d: profile %q has aws_access_key_id but no aws_secret_access_key", name, s.line, s.name)
		}
		creds = append(creds, s.c)
	}
	return creds, nil
}
