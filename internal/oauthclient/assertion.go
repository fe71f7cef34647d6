package oauthclient

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWTs are signed with go-jose: it covers every algorithm below, Ed25519
// included, and computes RFC 7638 thumbprints, so nothing of JOSE is
// written here.

// ClientAssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// DefaultAssertionLifetime is how long a signed assertion is valid. Short,
// because it is signed afresh for every attempt; Salesforce refuses an
// assertion that expires more than three minutes ahead.
const DefaultAssertionLifetime = 2 * time.Minute

// Signature algorithms a SigningKey may use (RFC 7518 §3.1, RFC 8037 §3.1).
const (
	AlgRS256 = "RS256"
	AlgPS256 = "PS256"
	AlgES256 = "ES256"
	AlgES384 = "ES384"
	AlgES512 = "ES512"
	AlgEdDSA = "EdDSA"
)

// SigningAlgorithms lists the values KeyOptions.Algorithm accepts.
func SigningAlgorithms() []string {
	return []string{AlgRS256, AlgPS256, AlgES256, AlgES384, AlgES512, AlgEdDSA}
}

// KeyOptions refine how a SigningKey signs.
type KeyOptions struct {
	// Algorithm is the JWS alg. Empty picks the key's usual one: RS256 for
	// RSA, ES256/ES384/ES512 by curve, EdDSA for Ed25519. PS256 is the other
	// choice for RSA.
	Algorithm string
	// KeyID is sent as the kid header, so the server picks the right
	// registered key (RFC 7515 §4.1.4).
	KeyID string
	// CertificatePEM, when set, is the key's certificate: its SHA-256
	// thumbprint is sent as the x5t#S256 header (RFC 7515 §4.1.8), which
	// certificate credentials (Microsoft Entra) identify the key by.
	CertificatePEM string
}

// SigningKey is a private key that signs JWTs: client assertions
// (private_key_jwt, RFC 7523 §2.2) and JWT bearer grant assertions (RFC 7523
// §2.1). It is safe for concurrent use. Its String form never shows the key.
type SigningKey struct {
	key        crypto.Signer
	alg        jose.SignatureAlgorithm
	keyID      string
	x5tS256    string
	thumbprint string
}

// ParseSigningKey reads an unencrypted RSA, ECDSA or Ed25519 private key in
// PEM form: PKCS#1 ("RSA PRIVATE KEY"), SEC 1 ("EC PRIVATE KEY") or PKCS#8
// ("PRIVATE KEY"). Other PEM blocks (a certificate in the same file) are
// skipped. Errors never quote the key.
func ParseSigningKey(pemData []byte, opts KeyOptions) (*SigningKey, error) {
	key, err := parsePrivateKey(pemData)
	if err != nil {
		return nil, err
	}
	alg, err := signingAlgorithm(key, opts.Algorithm)
	if err != nil {
		return nil, err
	}
	thumb, err := (&jose.JSONWebKey{Key: key.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("oauthclient: computing the signing key's thumbprint: %w", err)
	}
	k := &SigningKey{key: key, alg: alg, keyID: opts.KeyID, thumbprint: base64.RawURLEncoding.EncodeToString(thumb)}
	if strings.TrimSpace(opts.CertificatePEM) != "" {
		cert, err := parseCertificate([]byte(opts.CertificatePEM))
		if err != nil {
			return nil, err
		}
		if !publicKeysEqual(cert.PublicKey, key.Public()) {
			return nil, errors.New("oauthclient: the certificate given for the signing key holds another public key; give the certificate issued for this key")
		}
		sum := sha256.Sum256(cert.Raw)
		k.x5tS256 = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return k, nil
}

// Algorithm returns the JWS alg the key signs with.
func (k *SigningKey) Algorithm() string { return string(k.alg) }

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the public key,
// base64url: it identifies the key without revealing it.
func (k *SigningKey) Thumbprint() string { return k.thumbprint }

// String identifies the key by algorithm and thumbprint only.
func (k *SigningKey) String() string {
	return "SigningKey(" + string(k.alg) + ", " + k.thumbprint + ")"
}

func parsePrivateKey(data []byte) (crypto.Signer, error) {
	rest := data
	sawPEM := false
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		sawPEM = true
		if x509.IsEncryptedPEMBlock(block) || block.Type == "ENCRYPTED PRIVATE KEY" { //nolint:staticcheck // only detects the legacy form to refuse it
			return nil, errors.New("oauthclient: the private key is encrypted; give it unencrypted (for example `openssl pkey -in key.pem -out plain.pem`) and keep it secret instead")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			// The parser's message names the structure, never the bytes.
			return nil, fmt.Errorf("oauthclient: the %q PEM block is not a valid private key: %v", block.Type, err)
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			if k.N.BitLen() < 2048 {
				return nil, fmt.Errorf("oauthclient: the RSA key has %d bits; token endpoints want at least 2048", k.N.BitLen())
			}
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return k, nil
		default:
			return nil, fmt.Errorf("oauthclient: a %T private key cannot sign a JWT here; use an RSA, ECDSA or Ed25519 key", key)
		}
	}
	if !sawPEM {
		return nil, errors.New("oauthclient: the private key is not PEM; give a PEM block such as -----BEGIN PRIVATE KEY-----")
	}
	return nil, errors.New("oauthclient: the PEM holds no private key block (RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)")
}

func parseCertificate(data []byte) (*x509.Certificate, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("oauthclient: the certificate PEM holds no CERTIFICATE block")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("oauthclient: the certificate is not valid: %v", err)
		}
		return cert, nil
	}
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

func signingAlgorithm(key crypto.Signer, want string) (jose.SignatureAlgorithm, error) {
	var usual jose.SignatureAlgorithm
	allowed := []string{}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		usual, allowed = jose.RS256, []string{AlgRS256, AlgPS256}
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			usual = jose.ES256
		case elliptic.P384():
			usual = jose.ES384
		case elliptic.P521():
			usual = jose.ES512
		default:
			return "", fmt.Errorf("oauthclient: the ECDSA key's curve %s cannot sign a JWT; use P-256, P-384 or P-521", k.Curve.Params().Name)
		}
		allowed = []string{string(usual)}
	case ed25519.PrivateKey:
		usual, allowed = jose.EdDSA, []string{AlgEdDSA}
	}
	if want == "" {
		return usual, nil
	}
	for _, a := range allowed {
		if a == want {
			return jose.SignatureAlgorithm(want), nil
		}
	}
	return "", fmt.Errorf("oauthclient: signing algorithm %q does not fit this key; it signs with %s", want, strings.Join(allowed, " or "))
}

// AssertionClaims describe a JWT bearer grant assertion (RFC 7523 §3) that
// the client signs.
type AssertionClaims struct {
	// Issuer is the iss claim; empty means the client id.
	Issuer string
	// Subject is the sub claim, the principal the token is for (a
	// Salesforce username, a delegated Google user); empty omits it.
	Subject string
	// Audience is the aud claim; empty means the token endpoint.
	Audience string
	// Extra are further string claims, such as the scope claim of Google
	// service accounts. They cannot replace the claims above.
	Extra map[string]string
	// Lifetime is exp - iat; zero means DefaultAssertionLifetime.
	Lifetime time.Duration
}

// registeredClaims are set by signAssertion and may not come from Extra.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti"}

// jwtSigner signs one assertion.
type jwtSigner func(claims map[string]any) (string, error)

// signer returns a signer for k with its kid and x5t#S256 headers.
func (k *SigningKey) signer() (jwtSigner, error) {
	var key any = k.key
	if k.keyID != "" {
		key = jose.JSONWebKey{Key: k.key, KeyID: k.keyID, Algorithm: string(k.alg)}
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if k.x5tS256 != "" {
		opts = opts.WithHeader("x5t#S256", k.x5tS256)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("oauthclient: preparing the JWT signer: %w", err)
	}
	return joseSign(s), nil
}

// secretSigner signs client_secret_jwt assertions with HMAC SHA-256 keyed
// by the client secret (OpenID Connect Core §9).
func secretSigner(secret string) (jwtSigner, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(secret)}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		// go-jose's errors about HMAC keys name lengths, not the key.
		return nil, fmt.Errorf("oauthclient: preparing the client_secret_jwt signer: %w", err)
	}
	return joseSign(s), nil
}

func joseSign(s jose.Signer) jwtSigner {
	return func(claims map[string]any) (string, error) {
		out, err := jwt.Signed(s).Claims(claims).Serialize()
		if err != nil {
			return "", fmt.Errorf("oauthclient: signing the assertion: %w", err)
		}
		return out, nil
	}
}

// newJTI returns a fresh assertion id: 128 random bits, so that no two
// assertions, retries included, are ever the same (RFC 7523 §3 item 7).
func newJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// assertionClaims builds a claim set valid from now for lifetime.
func assertionClaims(iss, sub, aud string, now time.Time, lifetime time.Duration, extra map[string]string) map[string]any {
	if lifetime <= 0 {
		lifetime = DefaultAssertionLifetime
	}
	m := make(map[string]any, 6+len(extra))
	for k, v := range extra {
		m[k] = v
	}
	m["iss"] = iss
	if sub != "" {
		m["sub"] = sub
	}
	m["aud"] = aud
	m["iat"] = now.Unix()
	m["exp"] = now.Add(lifetime).Unix()
	m["jti"] = newJTI()
	return m
}

// assertionSigner signs the assertions of one exchange and registers each
// with the exchange's redactor, so that a server echoing one cannot leak it.
type assertionSigner struct {
	now func() time.Time
	rd  *redactor
}

// placeholderAssertion stands in for a signed assertion when params is only
// checking parameter names.
const placeholderAssertion = "assertion"

func (s *assertionSigner) clientAssertion(p *prepared, style AuthStyle) (string, error) {
	if s == nil {
		return placeholderAssertion, nil
	}
	r := p.req
	var (
		sign jwtSigner
		err  error
	)
	if style == AuthClientSecretJWT {
		sign, err = secretSigner(r.ClientSecret)
	} else {
		sign, err = r.ClientKey.signer()
	}
	if err != nil {
		return "", err
	}
	aud := r.ClientAssertionAudience
	if aud == "" {
		aud = p.tokenURL
	}
	// RFC 7523 §3: iss and sub are both the client id for client
	// authentication.
	return s.sign(sign, assertionClaims(r.ClientID, r.ClientID, aud, s.now(), 0, nil))
}

func (s *assertionSigner) grantAssertion(p *prepared) (string, error) {
	if s == nil {
		return placeholderAssertion, nil
	}
	r := p.req
	c := r.AssertionClaims
	sign, err := r.AssertionKey.signer()
	if err != nil {
		return "", err
	}
	iss, aud := c.Issuer, c.Audience
	if iss == "" {
		iss = r.ClientID
	}
	if aud == "" {
		aud = p.tokenURL
	}
	return s.sign(sign, assertionClaims(iss, c.Subject, aud, s.now(), c.Lifetime, c.Extra))
}

func (s *assertionSigner) sign(sign jwtSigner, claims map[string]any) (string, error) {
	a, err := sign(claims)
	if err != nil {
		return "", err
	}
	s.rd.addJWT(a)
	return a, nil
}

// checkAssertionRequest refuses extra claims that would replace the ones the
// signer sets, and HMAC keys too short for HS256.
func checkAssertionRequest(r *Request, style AuthStyle) error {
	for k := range r.AssertionClaims.Extra {
		if slices.Contains(registeredClaims, k) {
			return fmt.Errorf("oauthclient: the assertion claim %q is set by the client; remove it from the extra claims", k)
		}
	}
	// RFC 7518 §3.2: an HMAC key at least as long as the hash.
	if style == AuthClientSecretJWT && len(r.ClientSecret) < 32 {
		return errors.New("oauthclient: client_secret_jwt signs with HS256, which needs a client secret of at least 32 bytes (RFC 7518 §3.2); use client_secret_basic or client_secret_post with this secret")
	}
	return nil
}
