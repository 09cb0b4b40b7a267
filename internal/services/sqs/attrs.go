package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// maxMessageAttributes is how many message attributes a message may carry.
const maxMessageAttributes = 10

var attributeNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// checkMessageAttributes validates message attributes and returns their
// size as SQS counts it against the message size (name, type and value).
func checkMessageAttributes(attrs map[string]MessageAttributeValue) (int, *awserr.Error) {
	if len(attrs) > maxMessageAttributes {
		return 0, errInvalidParameterValue("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), maxMessageAttributes)
	}
	size := 0
	for name, v := range attrs {
		lower := strings.ToLower(name)
		if !attributeNamePattern.MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return 0, errInvalidParameterValue("Message (user) attribute name '%s' is invalid.", name)
		}
		dataType := ptr.Value(v.DataType)
		base, _, _ := strings.Cut(dataType, ".")
		switch {
		case dataType == "":
			return 0, errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute type.", name)
		case base != "String" && base != "Number" && base != "Binary":
			return 0, errInvalidParameterValue("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		case len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0:
			return 0, errInvalidParameterValue("Message (user) attribute '%s' uses list values, which are not supported.", name)
		}
		if base == "Binary" {
			if v.BinaryValue == nil {
				return 0, errInvalidParameterValue("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
			}
			size += len(v.BinaryValue)
		} else {
			if v.StringValue == nil {
				return 0, errInvalidParameterValue("The message attribute '%s' with type '%s' must use field 'String'.", name, base)
			}
			if *v.StringValue == "" {
				return 0, errInvalidParameterValue("Message (user) attribute '%s' must contain a non-empty value of type '%s'.", name, base)
			}
			if !validBody(*v.StringValue) {
				return 0, withQueryCode(ErrInvalidMessageContents("Invalid characters found. Deleted message attribute value is not allowed."))
			}
			size += len(*v.StringValue)
		}
		size += len(name) + len(dataType)
	}
	return size, nil
}

// validBody reports whether s holds only the characters SQS accepts:
// #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF.
func validBody(s string) bool {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return false
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// md5Hex is the hex MD5 of s, as MD5OfMessageBody.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes is MD5OfMessageAttributes as SQS computes it (and the
// SDKs check it): over the attributes sorted by name, each as its name,
// data type (both length-prefixed), a transport byte (1 string/number,
// 2 binary) and its length-prefixed value. "" when there are none.
func md5OfAttributes(attrs map[string]MessageAttributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, name := range names {
		v := attrs[name]
		field([]byte(name))
		field([]byte(ptr.Value(v.DataType)))
		if v.BinaryValue != nil {
			h.Write([]byte{2})
			field(v.BinaryValue)
		} else {
			h.Write([]byte{1})
			field([]byte(ptr.Value(v.StringValue)))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// selectAttributes returns the message attributes a receive asked for:
// "All" or ".*", names, and "prefix.*" patterns.
func selectAttributes(attrs map[string]MessageAttributeValue, names []string) map[string]MessageAttributeValue {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := map[string]MessageAttributeValue{}
	for _, want := range names {
		for name, v := range attrs {
			switch {
			case want == "All" || want == ".*":
			case strings.HasSuffix(want, ".*"):
				if !strings.HasPrefix(name, strings.TrimSuffix(want, "*")) {
					continue
				}
			case want != name:
				continue
			}
			out[name] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
