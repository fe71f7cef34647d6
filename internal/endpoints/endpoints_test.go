package endpoints

import (
	"context"
	"errors"
	"testing"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

type fakeDiscoverer struct {
	md    *oauthclient.ServerMetadata
	calls int
}

func (f *fakeDiscoverer) Discover(context.Context, string) (*oauthclient.ServerMetadata, error) {
	f.calls++
	if f.md == nil {
		return nil, errors.New("no metadata")
	}
	return f.md, nil
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	md := &oauthclient.ServerMetadata{
		TokenEndpoint: "https://idp.example/token", AuthorizationEndpoint: "https://idp.example/auth",
		RevocationEndpoint: "https://idp.example/revoke", TokenEndpointAuthMethodsSupported: []string{"client_secret_post"},
	}

	t.Run("preset fills what is unset, explicit settings win, no request", func(t *testing.T) {
		d := &fakeDiscoverer{md: md}
		r, err := Resolve(ctx, Settings{Preset: "microsoft_entra", PresetParams: map[string]string{"tenant_id": "contoso"}, ScopeDelimiter: ","}, d)
		if err != nil {
			t.Fatal(err)
		}
		if r.TokenURL != "https://login.microsoftonline.com/contoso/oauth2/v2.0/token" || r.ScopeDelimiter != "," || d.calls != 0 {
			t.Errorf("resolved %+v after %d discoveries", r, d.calls)
		}
	})
	t.Run("issuer fills endpoints and leaves the client authentication to the metadata", func(t *testing.T) {
		d := &fakeDiscoverer{md: md}
		r, err := Resolve(ctx, Settings{Issuer: "https://idp.example", GrantType: "client_credentials"}, d)
		if err != nil {
			t.Fatal(err)
		}
		if r.TokenURL != md.TokenEndpoint || r.RevocationURL != md.RevocationEndpoint || r.ClientAuthChosen {
			t.Errorf("resolved %+v", r)
		}
		req := oauthclient.Request{ClientID: "c", ClientSecret: "s"}
		r.ApplyAuthMethods(&req, false)
		if req.AuthStyle != oauthclient.AuthPost {
			t.Errorf("auth style %q, want post from the metadata", req.AuthStyle)
		}
	})
	t.Run("an explicit token URL and client authentication need no metadata", func(t *testing.T) {
		d := &fakeDiscoverer{}
		if _, err := Resolve(ctx, Settings{Issuer: "https://idp.example", TokenURL: "https://t.example/token", ClientAuth: "basic"}, d); err != nil || d.calls != 0 {
			t.Errorf("err %v after %d discoveries", err, d.calls)
		}
	})
	t.Run("errors name the setting", func(t *testing.T) {
		for _, tc := range []struct {
			s    Settings
			want string
		}{
			{Settings{Preset: "nope"}, "preset"},
			{Settings{Preset: "microsoft_entra"}, "preset_params"},
			{Settings{Issuer: "https://idp.example"}, "issuer"},
		} {
			_, err := Resolve(ctx, tc.s, &fakeDiscoverer{})
			var e *Error
			if !errors.As(err, &e) || e.Setting != tc.want {
				t.Errorf("%+v: err %v, want one on %s", tc.s, err, tc.want)
			}
		}
	})
}
