// Package floor is a provider with one managed resource, floor_connection,
// whose schema is oauth2_connection's attribute for attribute (names, types,
// required, optional, computed, sensitive, write-only) without any of its
// logic: no validators, plan modifiers or defaults, and CRUD methods that
// only copy values. It is the bench's floor for what the plugin framework and
// the CLI cost per managed resource instance, whatever the provider does.
package floor

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	oauth2provider "github.com/oauth2-tf/terraform-provider-oauth2/internal/provider"
)

// New returns the floor provider.
func New() provider.Provider { return floorProvider{} }

type floorProvider struct{}

func (floorProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "floor"
}

func (floorProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (floorProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (floorProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return connection{} }}
}

func (floorProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// connection mirrors oauth2_connection's schema with no logic.
type connection struct{}

func (connection) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection"
}

func (connection) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	var mirrored resource.SchemaResponse
	oauth2provider.NewConnectionResource().Schema(ctx, resource.SchemaRequest{}, &mirrored)
	resp.Diagnostics = mirrored.Diagnostics
	attrs := make(map[string]schema.Attribute, len(mirrored.Schema.Attributes))
	for name, a := range mirrored.Schema.Attributes {
		m, ok := mirror(a)
		if !ok {
			resp.Diagnostics.AddError("Unsupported Attribute", fmt.Sprintf("The floor provider cannot mirror attribute %q of type %T.", name, a))
			continue
		}
		attrs[name] = m
	}
	resp.Schema = schema.Schema{Attributes: attrs}
}

// mirror copies an attribute's shape without validators, plan modifiers or
// defaults; nested attributes are mirrored child by child.
func mirror(a schema.Attribute) (schema.Attribute, bool) {
	switch a := a.(type) {
	case schema.StringAttribute:
		return schema.StringAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive, WriteOnly: a.WriteOnly}, true
	case schema.Int64Attribute:
		return schema.Int64Attribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive, WriteOnly: a.WriteOnly}, true
	case schema.BoolAttribute:
		return schema.BoolAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive, WriteOnly: a.WriteOnly}, true
	case schema.ListAttribute:
		return schema.ListAttribute{ElementType: a.ElementType, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive, WriteOnly: a.WriteOnly}, true
	case schema.MapAttribute:
		return schema.MapAttribute{ElementType: a.ElementType, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive, WriteOnly: a.WriteOnly}, true
	case schema.SingleNestedAttribute:
		children := make(map[string]schema.Attribute, len(a.Attributes))
		for name, c := range a.Attributes {
			m, ok := mirror(c)
			if !ok {
				return nil, false
			}
			children[name] = m
		}
		return schema.SingleNestedAttribute{Attributes: children, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive}, true
	}
	return nil, false
}

// Create stores the plan with every unknown computed value set to null and
// write-only values dropped, as a provider must.
func (connection) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	resp.State.Raw = settle(req.Plan)
}

func (connection) Read(_ context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	resp.State.Raw = req.State.Raw
}

func (connection) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = settle(req.Plan)
}

func (connection) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// settle replaces unknown and write-only values of the planned object with
// nulls: the least any Create or Update does.
func settle(plan tfsdk.Plan) tftypes.Value {
	v, _ := tftypes.Transform(plan.Raw, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if a, err := plan.Schema.AttributeAtTerraformPath(context.Background(), p); err == nil && a.IsWriteOnly() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		if !v.IsKnown() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		return v, nil
	})
	return v
}
