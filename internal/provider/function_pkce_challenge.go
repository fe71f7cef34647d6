package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

var _ function.Function = pkceChallengeFunction{}

// NewPKCEChallengeFunction returns provider::oauth2::pkce_challenge.
func NewPKCEChallengeFunction() function.Function { return pkceChallengeFunction{} }

// pkceChallengeFunction computes the S256 code challenge of a PKCE code
// verifier (RFC 7636 §4.2).
type pkceChallengeFunction struct{}

func (pkceChallengeFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "pkce_challenge"
}

func (pkceChallengeFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Compute the S256 PKCE code challenge of a code verifier (RFC 7636 §4.2).",
		MarkdownDescription: "Returns the `S256` code challenge of a PKCE code verifier: the unpadded base64url encoding of " +
			"the verifier's SHA-256 hash (RFC 7636 §4.2). The client sends the challenge, with `code_challenge_method=S256`, " +
			"in the authorization request and the verifier itself in the token request, which proves that both come from " +
			"the same client.\n\n" +
			"Functions cannot generate random values, so the verifier is passed in: generate it once, for example with " +
			"`random_password` (`length` 43 to 128, `special = false`, or `override_special = \"-._~\"`), and keep it as secret " +
			"as a password until the code is exchanged. `authorization_url` adds the challenge itself when its settings " +
			"hold a `code_verifier`; this function is for the cases where the URL is built some other way.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name: "verifier",
				MarkdownDescription: "The code verifier: 43 to 128 characters from `A`–`Z`, `a`–`z`, `0`–`9`, `-`, `.`, `_` " +
					"and `~` (RFC 7636 §4.1).",
			},
		},
		Return: function.StringReturn{},
	}
}

func (pkceChallengeFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var verifier string
	resp.Error = req.Arguments.Get(ctx, &verifier)
	if resp.Error != nil {
		return
	}
	if err := checkCodeVerifier(verifier); err != "" {
		resp.Error = argumentError(0, "The verifier "+err)
		return
	}
	resp.Error = resp.Result.Set(ctx, oauthclient.CodeChallengeS256(verifier))
}

// Lengths of a code verifier (RFC 7636 §4.1).
const (
	minCodeVerifierLen = 43
	maxCodeVerifierLen = 128
)

// checkCodeVerifier returns what is wrong with a PKCE code verifier (RFC
// 7636 §4.1: 43 to 128 unreserved characters), as the end of a sentence
// naming it, or "" when it is valid. The verifier is a secret, so the
// message gives its length and the position of a bad character, never the
// verifier or the character itself.
func checkCodeVerifier(v string) string {
	if n := len(v); n < minCodeVerifierLen || n > maxCodeVerifierLen {
		return fmt.Sprintf("must be %d to %d characters long (RFC 7636 §4.1), but it has %d. "+
			"Generate one of 43 characters or more, for example with random_password, length = 64 and special = false.",
			minCodeVerifierLen, maxCodeVerifierLen, n)
	}
	for i, r := range []rune(v) {
		if r > 0x7f || !isUnreserved(byte(r)) {
			return fmt.Sprintf("may only hold the characters A-Z, a-z, 0-9, \"-\", \".\", \"_\" and \"~\" (RFC 7636 §4.1), "+
				"but character %d is not one of them. Generate it without other special characters, for example with "+
				"random_password and special = false.", i+1)
		}
	}
	return ""
}

// isUnreserved reports whether c is an unreserved URI character (RFC 3986
// §2.3), the alphabet of a code verifier.
func isUnreserved(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	}
	return c == '-' || c == '.' || c == '_' || c == '~'
}
