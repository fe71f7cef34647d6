package oauthclient

import (
	"net/url"
	"strings"
)

// secretParamWords mark a query parameter whose value is hidden whatever
// its length: a name holding one of them (any case) says the value is a
// credential (client_secret, access_token, api_key, apikey, password, pwd,
// sig, code, auth, credential, session, assertion).
var secretParamWords = []string{"secret", "token", "key", "pass", "pwd", "sig", "code", "auth", "cred", "session", "assertion"}

// minSecretQueryValue is the length from which a query value is hidden
// whatever its parameter's name: API keys and signatures are long, while
// the values that tell endpoints apart (a policy, a tenant alias, an
// api-version, "x=1") are mostly short and help to read a message.
const minSecretQueryValue = 16

// secretQueryParam reports whether RedactURL hides a query parameter's
// value (the whole parameter when it has no "="): when its name says it is
// a credential (see secretParamWords), or when the value, decoded, is at
// least minSecretQueryValue bytes long.
func secretQueryParam(name, value string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	if v, err := url.QueryUnescape(value); err == nil {
		value = v
	}
	lower := strings.ToLower(name)
	for _, w := range secretParamWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return len(value) >= minSecretQueryValue
}

// RedactURL returns rawURL fit for messages and logs. User information is
// replaced with [REDACTED], and so is a fragment: endpoints are sometimes
// configured with credentials in them (https://user:pass@host/). RFC 6749
// §3.1 and §3.2 let a token or authorization endpoint URL carry a query;
// a query value is replaced where it can be a secret (see
// secretQueryParam: a parameter named like a credential, or a value of 16
// bytes or more) and shown otherwise, so that "?x=1" stays "?x=1". The
// scheme, host, port and path are shown as they are. A URL that does not
// parse is cut at its query and fragment, and everything before its last
// "@" is redacted.
func RedactURL(rawURL string) string {
	if !mayHideSecrets(rawURL) {
		return rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Opaque != "" || (u.Scheme == "" && u.Host == "" && strings.Contains(rawURL, "@")) {
		return redactUnparsedURL(rawURL)
	}
	hadUser := u.User != nil
	query, fragment := u.RawQuery, u.Fragment
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	s := u.String()
	if hadUser {
		if i := strings.Index(s, "//"); i >= 0 {
			s = s[:i+2] + redacted + "@" + s[i+2:]
		}
	}
	if query != "" {
		s += "?" + redactQuery(query)
	}
	if fragment != "" {
		s += "#" + redacted
	}
	return s
}

// urlSecrets lists what RedactURL hides in rawURL, so that a server echoing
// the URL it was called with reveals none of it: the user information and
// every hidden query value (a bare parameter whole), decoded; the redactor
// finds their escaped forms.
func urlSecrets(rawURL string) []string {
	if !mayHideSecrets(rawURL) {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		p, _ := u.User.Password()
		out = append(out, u.User.Username(), p)
	}
	for _, part := range strings.Split(u.RawQuery, "&") {
		name, value, hasValue := strings.Cut(part, "=")
		if !hasValue {
			value = name
		}
		if !secretQueryParam(name, value) {
			continue
		}
		if v, err := url.QueryUnescape(value); err == nil {
			value = v
		}
		out = append(out, value)
	}
	return out
}

// mayHideSecrets reports whether rawURL can hold user information, a query
// or a fragment at all. Most token URLs hold none, and every token request
// formats its URL, so they skip parsing it again.
func mayHideSecrets(rawURL string) bool { return strings.ContainsAny(rawURL, "@?#") }

// redactQuery keeps the names of the parameters in a raw query and replaces
// the values secretQueryParam calls secret.
func redactQuery(query string) string {
	parts := strings.Split(query, "&")
	for i, p := range parts {
		name, value, hasValue := strings.Cut(p, "=")
		switch {
		case p == "":
		case !hasValue:
			// A bare parameter may be a key: judge it whole.
			if secretQueryParam(name, name) {
				parts[i] = redacted
			}
		case secretQueryParam(name, value):
			parts[i] = name + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// redactUnparsedURL is RedactURL's best effort for text that is not a URL
// it can take apart.
func redactUnparsedURL(rawURL string) string {
	s, cut := rawURL, false
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s, cut = s[:i], true
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		start := 0
		if i := strings.Index(s, "://"); i >= 0 && i < at {
			start = i + 3
		}
		s = s[:start] + redacted + s[at:]
	}
	if cut {
		s += "?" + redacted
	}
	return s
}
