package oauthclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Token type hints of RFC 7009 §2.1.
const (
	TokenTypeHintAccessToken  = "access_token"
	TokenTypeHintRefreshToken = "refresh_token"
)

// RevokeRequest describes one token revocation (RFC 7009 §2.1).
type RevokeRequest struct {
	// RevocationURL is the revocation endpoint, such as a discovered
	// ServerMetadata.RevocationEndpoint.
	RevocationURL string
	// Token is the token to revoke; a secret, never shown.
	Token string
	// TokenTypeHint, when set, tells the server what Token is:
	// TokenTypeHintRefreshToken or TokenTypeHintAccessToken (RFC 7009 §2.1).
	TokenTypeHint string

	// ClientID and ClientSecret are the client credentials (RFC 6749
	// §2.3.1): RFC 7009 §2.1 authenticates a confidential client as its
	// token requests do.
	ClientID     string
	ClientSecret string
	// ClientKey signs a fresh client assertion for every attempt
	// (AuthPrivateKeyJWT), its aud the revocation URL (RFC 7523 §3 item 3).
	ClientKey *SigningKey
	// AuthStyle is how the client authenticates. Empty or AuthAuto means
	// AuthPrivateKeyJWT with a key, AuthBasic with a secret, and otherwise
	// AuthNone (client_id in the body when set). Unlike a token request, a
	// revocation never probes: a refused one is not sent again with another
	// style.
	AuthStyle AuthStyle
	// ClientCertificate is presented in the TLS handshake (RFC 8705 §2),
	// besides or instead of the Client's own certificates.
	ClientCertificate *tls.Certificate
}

// Revoke asks the authorization server to revoke a token (RFC 7009 §2.1),
// a POST of token and token_type_hint with the client's authentication.
// Any 2xx answer is success whatever its body: RFC 7009 §2.2 answers 200
// for a token that is invalid or already revoked too, since the token is
// unusable either way. Network errors, 429 and 5xx are retried as for a
// token request, honouring Retry-After (RFC 7009 §2.2.1 answers 503 with
// it); a revocation is idempotent, so repeating it is safe. A refusal
// (unsupported_token_type, invalid_client, …) is an *Error in the RFC 6749
// §5.2 shape. The token and the client's secrets never appear in an error
// or a log event, even when the server echoes them.
func (c *Client) Revoke(ctx context.Context, r RevokeRequest) error {
	p, style, err := r.prepare()
	if err != nil {
		return err
	}
	if p.scheme == "http" && !c.opts.AllowInsecureHTTP && !isLoopback(p.host) {
		return fmt.Errorf("oauthclient: revocation url uses plain http to host %q; use https, or allow insecure http explicitly (RFC 7009 §2 requires TLS)", p.host)
	}
	if (style == AuthTLSClient || style == AuthSelfSignedTLS) && r.ClientCertificate == nil && len(c.opts.ClientCertificates) == 0 {
		return fmt.Errorf("oauthclient: client authentication %q needs a client certificate (RFC 8705 §2); configure one for the request or the client", style)
	}
	rd := newRedactor(p.req)
	rd.addJWT(r.Token)
	rd.add(urlSecrets(p.tokenURL)...)
	rd.keepHost(p.hostPort, p.host)
	p.rd = rd

	hc, err := c.httpClientFor(p.req)
	if err != nil {
		return err
	}
	signer := &assertionSigner{now: timeNow, rd: rd}
	ec := &endpointCall{
		what: "revocation request", method: http.MethodPost, url: p.tokenURL, shown: p.shownURL(), hc: hc, rd: rd,
		build: func() ([]byte, func(*http.Request), error) {
			form := url.Values{"token": {r.Token}}
			if r.TokenTypeHint != "" {
				form.Set("token_type_hint", r.TokenTypeHint)
			}
			// A fresh assertion for every attempt (RFC 7523 §3 item 7).
			if err := p.addClientAuth(form, style, signer); err != nil {
				return nil, nil, err
			}
			return []byte(form.Encode()), func(h *http.Request) {
				h.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				h.Header.Set("Accept", "application/json")
				if style == AuthBasic {
					// RFC 6749 §2.3.1: id and secret are form-encoded
					// before Basic.
					h.SetBasicAuth(url.QueryEscape(r.ClientID), url.QueryEscape(r.ClientSecret))
				}
			}, nil
		},
		logFields: map[string]any{"auth_style": string(style), "token_type_hint": rd.scrub(r.TokenTypeHint)},
	}
	ans, err := c.do(ctx, ec)
	if err != nil {
		return err
	}
	switch {
	case ans.status >= 200 && ans.status < 300:
		// RFC 7009 §2.2: the body is ignored, and so is its size.
		return nil
	case ans.tooLarge:
		return &Error{TokenURL: ec.shown, StatusCode: ans.status, endpoint: "revocation endpoint", cause: ErrBodyTooLarge,
			Reason: fmt.Sprintf("the response exceeded the 1 MiB limit (%d bytes) and was not read further", MaxResponseBytes)}
	case ans.status >= 300 && ans.status < 400:
		u, _ := url.Parse(p.tokenURL) // parsed by prepare
		return &Error{TokenURL: ec.shown, StatusCode: ans.status, endpoint: "revocation endpoint",
			Reason: fmt.Sprintf("the revocation endpoint answered with a redirect (status %d) to %s; a revocation carries the token and the client's credentials "+
				"and is never redirected, so set the revocation url to the final address", ans.status, redirectTarget(u, ans.header.Get("Location"), rd))}
	}
	e := endpointError(ans, rd, "revocation endpoint")
	e.TokenURL = ec.shown
	return e
}

// endpointError reads a refusal of the endpoint named kind ("revocation
// endpoint"): an RFC 6749 §5.2 error object (RFC 7009 §2.2.1 and RFC 8628
// §3.2 use that shape), or a plain reason saying what the answer held. Every
// server-supplied part is cleaned, capped and scrubbed.
func endpointError(ans *endpointAnswer, rd *redactor, kind string) *Error {
	fields, detail := answerDetail(ans.header.Get("Content-Type"), ans.data, rd)
	if s, ok := fields["error"].(string); ok {
		if code := errorCode(rd.serverText(s, maxServerText)); code != "" {
			return &Error{
				StatusCode:  ans.status,
				endpoint:    kind,
				Code:        code,
				Description: rd.serverText(scalarString(fields["error_description"]), maxServerText),
				URI:         rd.serverText(scalarString(fields["error_uri"]), maxServerText),
			}
		}
	}
	return &Error{StatusCode: ans.status, endpoint: kind, Reason: fmt.Sprintf("the %s answered with status %d and %s, no OAuth error code", kind, ans.status, detail)}
}

// prepare checks r and returns it as a prepared token request (the
// revocation URL in place of the token URL) for the client authentication
// code paths, with the resolved style.
func (r *RevokeRequest) prepare() (*prepared, AuthStyle, error) {
	if r.RevocationURL == "" {
		return nil, "", errors.New("oauthclient: revocation url is required")
	}
	u, err := parseEndpoint("revocation url", r.RevocationURL)
	if err != nil {
		return nil, "", err
	}
	if r.Token == "" {
		return nil, "", errors.New("oauthclient: the revocation request needs the token to revoke (RFC 7009 §2.1)")
	}
	if strings.ContainsAny(r.TokenTypeHint, " \t\r\n") {
		return nil, "", fmt.Errorf("oauthclient: token type hint %q is not a token type name (RFC 7009 §2.1: %q or %q)", r.TokenTypeHint, TokenTypeHintRefreshToken, TokenTypeHintAccessToken)
	}
	if r.ClientID == "" && (r.ClientSecret != "" || r.ClientKey != nil) {
		return nil, "", errors.New("oauthclient: a client secret or signing key is set but the client id is empty")
	}
	style := r.AuthStyle
	switch style {
	case "", AuthAuto:
		switch {
		case r.ClientKey != nil:
			style = AuthPrivateKeyJWT
		case r.ClientSecret != "":
			style = AuthBasic
		default:
			style = AuthNone
		}
	case AuthBasic, AuthPost, AuthClientSecretJWT:
		if r.ClientID == "" || r.ClientSecret == "" {
			return nil, "", fmt.Errorf("oauthclient: client authentication %q needs a client id and secret (RFC 6749 §2.3.1)", style)
		}
	case AuthPrivateKeyJWT:
		if r.ClientID == "" || r.ClientKey == nil {
			return nil, "", errors.New("oauthclient: client authentication private_key_jwt needs a client id and a signing key (RFC 7523 §2.2)")
		}
	case AuthTLSClient, AuthSelfSignedTLS:
		if r.ClientID == "" {
			return nil, "", fmt.Errorf("oauthclient: client authentication %q needs a client id (RFC 8705 §2)", style)
		}
	case AuthNone:
	default:
		return nil, "", fmt.Errorf("oauthclient: unknown client authentication style %q (want one of %s)", r.AuthStyle, strings.Join(authStyleNames(), ", "))
	}
	if r.ClientKey != nil && style != AuthPrivateKeyJWT {
		return nil, "", fmt.Errorf("oauthclient: a client signing key is set but client authentication is %q; use %q", style, AuthPrivateKeyJWT)
	}
	req := &Request{
		TokenURL:          r.RevocationURL,
		AuthStyle:         style,
		ClientID:          r.ClientID,
		ClientSecret:      r.ClientSecret,
		ClientKey:         r.ClientKey,
		ClientCertificate: r.ClientCertificate,
	}
	if err := checkAssertionRequest(req, style); err != nil {
		return nil, "", err
	}
	return &prepared{
		req: req, tokenURL: r.RevocationURL, display: RedactURL(r.RevocationURL),
		host: u.Hostname(), hostPort: u.Host, scheme: u.Scheme, style: style, encoding: EncodingForm,
	}, style, nil
}
