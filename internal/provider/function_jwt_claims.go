package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ function.Function = jwtClaimsFunction{}

// NewJWTClaimsFunction returns provider::oauth2::jwt_claims.
func NewJWTClaimsFunction() function.Function { return jwtClaimsFunction{} }

// jwtClaimsFunction decodes the claims of a JWT without verifying it.
type jwtClaimsFunction struct{}

func (jwtClaimsFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "jwt_claims"
}

func (jwtClaimsFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Decode the claims of a JWT WITHOUT verifying its signature.",
		MarkdownDescription: "Decodes the payload of a signed JWT (RFC 7519, in the compact form of RFC 7515 §7.1) and " +
			"returns its claims as an object, with numbers, booleans, arrays and nested objects keeping their types, " +
			"as `jsondecode` would give them: `provider::oauth2::jwt_claims(token).sub`, `.exp`, `.aud` and so on.\n\n" +
			"~> **Nothing is verified.** The signature, issuer, audience, expiry (`exp`) and not-before time (`nbf`) are " +
			"not checked, and no key is fetched. Anyone can write a token with any claims, so the result is for " +
			"display, debugging and plumbing only: **never base an authorization decision on it**, and never take it as " +
			"proof of who the token was issued to. The server that receives the token is the one that verifies it.\n\n" +
			"Only the header and payload are decoded; the signature is ignored and never returned. Encrypted tokens " +
			"(JWE, five parts) cannot be decoded without the key and are refused, as is anything that is not a JWT, " +
			"such as an opaque access token; error messages never repeat the token.\n\n" +
			"-> A provider function cannot mark its result sensitive by itself: Terraform carries the argument's " +
			"sensitivity over to the result, so claims decoded from a `sensitive` value are sensitive too. A token " +
			"taken from a plain value gives plain claims, which are shown in the plan wherever they are used, in an " +
			"`output` for example. The claims are not the token, and cannot be turned back into it, but they can " +
			"still name users, e-mail addresses or tenants.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name: "token",
				MarkdownDescription: "A JWT in compact form: three base64url parts separated by dots, such as an ID token " +
					"or a JWT access token. Surrounding whitespace is ignored; a `Bearer ` prefix is not.",
			},
		},
		Return: function.DynamicReturn{},
	}
}

func (jwtClaimsFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var token string
	resp.Error = req.Arguments.Get(ctx, &token)
	if resp.Error != nil {
		return
	}
	claims, err := decodeJWTClaims(ctx, token)
	if err != "" {
		resp.Error = argumentError(0, "The token "+err)
		return
	}
	resp.Error = resp.Result.Set(ctx, types.DynamicValue(claims))
}

// decodeJWTClaims decodes the payload of a compact JWS into a Terraform
// value, or returns what is wrong with the token as the end of a sentence
// naming it. No message quotes any part of the token.
func decodeJWTClaims(ctx context.Context, token string) (attr.Value, string) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, "is empty. Pass a JWT: three base64url parts separated by dots."
	}
	if scheme, _, ok := strings.Cut(token, " "); ok {
		if strings.EqualFold(scheme, "bearer") {
			return nil, "starts with \"Bearer \", which belongs to the Authorization header. Pass the token alone."
		}
		return nil, "contains a space, so it is not a JWT. Pass a JWT: three base64url parts separated by dots."
	}
	parts := strings.Split(token, ".")
	switch {
	case len(parts) == 5:
		return nil, "has five parts, so it is an encrypted JWT (JWE, RFC 7516), whose claims cannot be read without " +
			"the decryption key. Only signed JWTs (three parts) can be decoded."
	case len(parts) == 1:
		return nil, "has no dots, so it is not a JWT, which has three parts (header.payload.signature, " +
			"RFC 7515 §7.1); an opaque access token cannot be decoded."
	case len(parts) != 3:
		return nil, fmt.Sprintf("has %d dot-separated parts, so it is not a JWT, which has three "+
			"(header.payload.signature, RFC 7515 §7.1); an opaque access token cannot be decoded.", len(parts))
	case parts[0] == "" || parts[1] == "":
		return nil, "has an empty header or payload, so it is not a JWT with claims (RFC 7519 §3)."
	}
	header, err := decodeSegment(parts[0])
	if err != nil || !isJSONObject(header) {
		return nil, "header (the first part) is not a base64url-encoded JSON object, so the value is not a JWT (RFC 7519 §5)."
	}
	payload, err := decodeSegment(parts[1])
	if err != nil {
		return nil, "payload (the second part) is not valid base64url (RFC 7515 §2), so the value is not a JWT."
	}
	claims, err := jsonObjectValue(ctx, payload)
	if err != nil {
		return nil, "payload (the second part) is not a JSON object, so it holds no JWT claims (RFC 7519 §7.2)."
	}
	return claims, ""
}

// decodeSegment decodes one base64url part of a compact JWS. RFC 7515 §2
// omits the padding; a token padded anyway is accepted.
func decodeSegment(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func isJSONObject(b []byte) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil
}

// jsonObjectValue decodes a JSON object into a Terraform object, the way
// Terraform's jsondecode does: numbers stay arbitrary-precision numbers,
// arrays become tuples, objects become objects and null is a null of no
// particular type.
func jsonObjectValue(ctx context.Context, b []byte) (attr.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	if _, ok := raw.(map[string]any); !ok {
		return nil, errors.New("not a JSON object")
	}
	return jsonValue(ctx, raw)
}

// jsonValue converts what encoding/json decoded (with UseNumber) into a
// Terraform value and its type.
func jsonValue(ctx context.Context, v any) (attr.Value, error) {
	switch v := v.(type) {
	case nil:
		return types.DynamicNull(), nil
	case bool:
		return types.BoolValue(v), nil
	case string:
		return types.StringValue(v), nil
	case json.Number:
		// Terraform numbers are arbitrary-precision; 512 bits is what
		// Terraform's own jsondecode parses with.
		f, _, err := big.ParseFloat(string(v), 10, 512, big.ToNearestEven)
		if err != nil {
			return nil, err
		}
		return types.NumberValue(f), nil
	case []any:
		elems := make([]attr.Value, len(v))
		elemTypes := make([]attr.Type, len(v))
		for i, e := range v {
			ev, err := jsonValue(ctx, e)
			if err != nil {
				return nil, err
			}
			elems[i], elemTypes[i] = ev, ev.Type(ctx)
		}
		tv, diags := types.TupleValue(elemTypes, elems)
		if diags.HasError() {
			return nil, errors.New("array could not be converted")
		}
		return tv, nil
	case map[string]any:
		attrs := make(map[string]attr.Value, len(v))
		attrTypes := make(map[string]attr.Type, len(v))
		for k, e := range v {
			ev, err := jsonValue(ctx, e)
			if err != nil {
				return nil, err
			}
			attrs[k], attrTypes[k] = ev, ev.Type(ctx)
		}
		ov, diags := types.ObjectValue(attrTypes, attrs)
		if diags.HasError() {
			return nil, errors.New("object could not be converted")
		}
		return ov, nil
	}
	return nil, fmt.Errorf("unexpected JSON value of type %T", v)
}
