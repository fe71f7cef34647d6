package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// connectionState builds an oauth2_connection state value with the given
// attribute values; every other attribute is null.
func connectionState(t *testing.T, values map[string]any) tfsdk.State {
	t.Helper()
	cfg := connectionConfig(t, values)
	return tfsdk.State(cfg)
}

func readConnection(t *testing.T, state tfsdk.State) tftypes.Value {
	t.Helper()
	resp := &resource.ReadResponse{State: tfsdk.State{Raw: state.Raw.Copy(), Schema: state.Schema}}
	NewConnectionResource().Read(context.Background(), resource.ReadRequest{State: state}, resp)
	for _, d := range resp.Diagnostics {
		t.Fatalf("read: %s: %s", d.Summary(), d.Detail())
	}
	return resp.State.Raw
}

// An applied connection reads back exactly as it was saved.
func TestConnectionReadApplied(t *testing.T) {
	state := connectionState(t, map[string]any{
		"id": "5b0c6e1e-4d0a-4c4e-9a51-2f3c0f9b8f11", "label": "crm", "status": statusValidated,
		"token_url": "https://login.example.test/token", "client_id": "c", "grant_type": "client_credentials",
		"client_auth": "auto", "scope_delimiter": " ", "request_encoding": "form", "pkce": true, "validate": true,
	})
	if got := readConnection(t, state); !got.Equal(state.Raw) {
		t.Errorf("read changed the state:\ngot  %s\nwant %s", got, state.Raw)
	}
}

// After import only the id is known: Read fills the defaults, so the next
// plan shows only what the configuration sets differently.
func TestConnectionReadImported(t *testing.T) {
	got := readConnection(t, connectionState(t, map[string]any{"id": "5b0c6e1e-4d0a-4c4e-9a51-2f3c0f9b8f11"}))
	var attrs map[string]tftypes.Value
	if err := got.As(&attrs); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{
		"grant_type": "client_credentials", "client_auth": "auto", "scope_delimiter": " ",
		"request_encoding": "form", "validate": true,
	} {
		if v := attrs[name]; !v.Equal(tftypes.NewValue(v.Type(), want)) {
			t.Errorf("%s: got %s, want %v", name, v, want)
		}
	}
	// pkce is planned from grant_type, which comes from the configuration.
	if !attrs["pkce"].IsNull() {
		t.Errorf("pkce: got %s, want null", attrs["pkce"])
	}
	if !attrs["status"].IsNull() {
		t.Errorf("status: got %s, want null", attrs["status"])
	}
}
