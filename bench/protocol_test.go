package main

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/oauth2-tf/terraform-provider-oauth2/bench/floor"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/pluginproc"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/provider"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// The protocol benchmarks drive a provider server through the same RPCs, in
// the same numbers, that the CLI sends for each instance of a resource with
// count (counted from TF_LOG_PROVIDER=trace of `apply` with OpenTofu 1.12 and
// Terraform 1.11), without the CLI and its process boundary, so a profile
// shows the provider's own cost:
//
//	first apply: ValidateResourceConfig ×2, PlanResourceChange ×2, ApplyResourceChange
//	rerun with no change: UpgradeResourceState, ReadResource, ValidateResourceConfig, PlanResourceChange
//
// The CLI also validates each resource block once more per command; with
// count that is shared by every instance and left out here.
//
//	go test ./bench/ -run '^$' -bench Protocol -benchmem -cpuprofile cpu.out
func BenchmarkProtocol(b *testing.B) {
	// The garbage collector as the provider process sets it (main.go);
	// GOGC=off for callgrind counts still wins.
	pluginproc.TuneGC(os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"))
	// A token store of the bench's own, not the user's.
	b.Setenv("OAUTH2_TOKEN_STORE_PATH", filepath.Join(b.TempDir(), "tokens.json"))
	srv := tokenserver.New(tokenserver.Config{
		Clients: map[string]tokenserver.Client{benchClientID: {Secret: benchClientSecret}},
	})
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	config := map[string]any{
		"label":         "bench-0",
		"grant_type":    "client_credentials",
		"token_url":     srv.TokenURL(),
		"client_id":     benchClientID,
		"client_secret": benchClientSecret,
		"scopes":        []any{"api"},
	}
	for _, p := range []struct {
		name     string
		server   func() (tfprotov6.ProviderServer, error)
		resource string
	}{
		{"oauth2", providerserver.NewProtocol6WithError(provider.New("bench")()), "oauth2_connection"},
		{"floor", providerserver.NewProtocol6WithError(floor.New()), "floor_connection"},
	} {
		d := newDriver(b, p.server, p.resource, config)
		create := d.prepareApply(b)
		b.Run(p.name+"/apply", func(b *testing.B) {
			measure(b, func() { d.firstApply(b, create) })
		})
		rerun := d.prepareRerun(b, create)
		b.Run(p.name+"/rerun", func(b *testing.B) {
			measure(b, func() { d.rerun(b, rerun) })
		})
	}
}

// measure runs op in a benchmark loop and reports, beside the wall time, the
// process's CPU time per op: on a shared machine wall time follows the load
// while CPU time stays close to the work done. It includes the garbage
// collector's work and the in-process token server's.
func measure(b *testing.B, op func()) {
	b.ReportAllocs()
	before := cpuTime()
	n := 0
	for b.Loop() {
		op()
		n++
	}
	b.ReportMetric(float64((cpuTime()-before).Microseconds())/1000/float64(n), "cpu-ms/op")
}

// driver sends the CLI's RPCs for one resource instance.
type driver struct {
	ctx      context.Context
	server   tfprotov6.ProviderServer
	typeName string
	typ      tftypes.Object
	computed map[string]bool
	config   tftypes.Value
}

func newDriver(b *testing.B, factory func() (tfprotov6.ProviderServer, error), typeName string, values map[string]any) *driver {
	b.Helper()
	ctx := context.Background()
	server, err := factory()
	if err != nil {
		b.Fatal(err)
	}
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		b.Fatal(err)
	}
	checkDiags(b, "GetProviderSchema", schemas.Diagnostics)
	s := schemas.ResourceSchemas[typeName]
	if s == nil {
		b.Fatalf("%s is not served", typeName)
	}
	d := &driver{ctx: ctx, server: server, typeName: typeName, computed: map[string]bool{}}
	var ok bool
	if d.typ, ok = s.ValueType().(tftypes.Object); !ok {
		b.Fatalf("the %s schema is a %T, not an object", typeName, s.ValueType())
	}
	for _, a := range s.Block.Attributes {
		d.computed[a.Name] = a.Computed
	}
	provType, ok := schemas.Provider.ValueType().(tftypes.Object)
	if !ok {
		b.Fatalf("the provider schema is a %T, not an object", schemas.Provider.ValueType())
	}
	provConfig := tftypes.NewValue(provType, nullAttributes(provType))
	resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: dynamic(b, provType, provConfig)})
	if err != nil {
		b.Fatal(err)
	}
	checkDiags(b, "ConfigureProvider", resp.Diagnostics)

	vals := nullAttributes(d.typ)
	for name, v := range values {
		at, ok := d.typ.AttributeTypes[name]
		if !ok {
			b.Fatalf("%s has no attribute %q", typeName, name)
		}
		if list, ok := v.([]any); ok {
			elems := make([]tftypes.Value, len(list))
			for i, e := range list {
				elems[i] = tftypes.NewValue(tftypes.String, e)
			}
			v = elems
		}
		vals[name] = tftypes.NewValue(at, v)
	}
	d.config = tftypes.NewValue(d.typ, vals)
	return d
}

func nullAttributes(typ tftypes.Object) map[string]tftypes.Value {
	vals := make(map[string]tftypes.Value, len(typ.AttributeTypes))
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	return vals
}

// proposed is the CLI's proposed new state: the configuration, with prior
// values for computed attributes the configuration leaves null.
func (d *driver) proposed(b *testing.B, prior tftypes.Value) tftypes.Value {
	var cfg, old map[string]tftypes.Value
	if err := d.config.As(&cfg); err != nil {
		b.Fatal(err)
	}
	if !prior.IsNull() {
		if err := prior.As(&old); err != nil {
			b.Fatal(err)
		}
	}
	out := make(map[string]tftypes.Value, len(cfg))
	for name, v := range cfg {
		if v.IsNull() && d.computed[name] && old != nil {
			v = old[name]
		}
		out[name] = v
	}
	return tftypes.NewValue(d.typ, out)
}

func (d *driver) validate(b *testing.B, config *tfprotov6.DynamicValue) {
	resp, err := d.server.ValidateResourceConfig(d.ctx, &tfprotov6.ValidateResourceConfigRequest{
		TypeName: d.typeName, Config: config,
	})
	if err != nil {
		b.Fatal(err)
	}
	checkDiags(b, "ValidateResourceConfig", resp.Diagnostics)
}

func (d *driver) plan(b *testing.B, prior, proposed, config *tfprotov6.DynamicValue, private []byte) (*tfprotov6.DynamicValue, []byte) {
	resp, err := d.server.PlanResourceChange(d.ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName:         d.typeName,
		PriorState:       prior,
		ProposedNewState: proposed,
		Config:           config,
		PriorPrivate:     private,
	})
	if err != nil {
		b.Fatal(err)
	}
	checkDiags(b, "PlanResourceChange", resp.Diagnostics)
	return resp.PlannedState, resp.PlannedPrivate
}

// applyRequests are the requests of a first apply, encoded once.
type applyRequests struct {
	config, none, proposed, planned *tfprotov6.DynamicValue
	plannedPrivate                  []byte
}

func (d *driver) prepareApply(b *testing.B) applyRequests {
	none := tftypes.NewValue(d.typ, nil)
	r := applyRequests{
		config:   dynamic(b, d.typ, d.config),
		none:     dynamic(b, d.typ, none),
		proposed: dynamic(b, d.typ, d.proposed(b, none)),
	}
	d.validate(b, r.config)
	planned, private := d.plan(b, r.none, r.proposed, r.config, nil)
	r.planned, r.plannedPrivate = planned, private
	return r
}

// firstApply creates one instance and returns its state and private state.
func (d *driver) firstApply(b *testing.B, r applyRequests) (*tfprotov6.DynamicValue, []byte) {
	d.validate(b, r.config)
	d.plan(b, r.none, r.proposed, r.config, nil)
	d.validate(b, r.config)
	planned, private := d.plan(b, r.none, r.proposed, r.config, nil)
	resp, err := d.server.ApplyResourceChange(d.ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName:       d.typeName,
		PriorState:     r.none,
		PlannedState:   planned,
		Config:         r.config,
		PlannedPrivate: private,
	})
	if err != nil {
		b.Fatal(err)
	}
	checkDiags(b, "ApplyResourceChange", resp.Diagnostics)
	return resp.NewState, resp.Private
}

// rerunRequests are the requests of a rerun with no change, encoded once.
type rerunRequests struct {
	config, proposed *tfprotov6.DynamicValue
	rawState         []byte
	private          []byte
}

// prepareRerun applies once and checks that planning again from the state
// it saved plans no change.
func (d *driver) prepareRerun(b *testing.B, create applyRequests) rerunRequests {
	newState, private := d.firstApply(b, create)
	state := value(b, d.typ, newState)
	raw, err := json.Marshal(jsonValue(state))
	if err != nil {
		b.Fatal(err)
	}
	r := rerunRequests{config: create.config, proposed: dynamic(b, d.typ, d.proposed(b, state)), rawState: raw, private: private}
	current, readPrivate := d.upgradeAndRead(b, r)
	planned, _ := d.plan(b, current, r.proposed, r.config, readPrivate)
	if got, want := value(b, d.typ, planned), value(b, d.typ, current); !got.Equal(want) {
		b.Fatalf("a rerun with no change plans a change:\nstate %s\nplan  %s", want, got)
	}
	if got := value(b, d.typ, current); !got.Equal(state) {
		b.Fatalf("read changed the state:\nstate %s\nread  %s", state, got)
	}
	return r
}

func (d *driver) upgradeAndRead(b *testing.B, r rerunRequests) (*tfprotov6.DynamicValue, []byte) {
	up, err := d.server.UpgradeResourceState(d.ctx, &tfprotov6.UpgradeResourceStateRequest{
		TypeName: d.typeName, RawState: &tfprotov6.RawState{JSON: r.rawState},
	})
	if err != nil {
		b.Fatal(err)
	}
	checkDiags(b, "UpgradeResourceState", up.Diagnostics)
	read, err := d.server.ReadResource(d.ctx, &tfprotov6.ReadResourceRequest{
		TypeName: d.typeName, CurrentState: up.UpgradedState, Private: r.private,
	})
	if err != nil {
		b.Fatal(err)
	}
	checkDiags(b, "ReadResource", read.Diagnostics)
	return read.NewState, read.Private
}

// rerun plans the instance again with no change, from its state as saved.
func (d *driver) rerun(b *testing.B, r rerunRequests) {
	current, private := d.upgradeAndRead(b, r)
	d.validate(b, r.config)
	d.plan(b, current, r.proposed, r.config, private)
}

// jsonValue renders a state value as the CLI stores it.
func jsonValue(v tftypes.Value) any {
	if v.IsNull() {
		return nil
	}
	switch {
	case v.Type().Is(tftypes.String):
		var s string
		_ = v.As(&s)
		return s
	case v.Type().Is(tftypes.Number):
		var n big.Float
		_ = v.As(&n)
		return json.Number(n.Text('g', -1))
	case v.Type().Is(tftypes.Bool):
		var x bool
		_ = v.As(&x)
		return x
	case v.Type().Is(tftypes.List{}):
		var elems []tftypes.Value
		_ = v.As(&elems)
		out := make([]any, len(elems))
		for i, e := range elems {
			out[i] = jsonValue(e)
		}
		return out
	default:
		var attrs map[string]tftypes.Value
		_ = v.As(&attrs)
		out := make(map[string]any, len(attrs))
		for k, e := range attrs {
			out[k] = jsonValue(e)
		}
		return out
	}
}

func dynamic(b *testing.B, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		b.Fatal(err)
	}
	return &dv
}

func value(b *testing.B, typ tftypes.Type, dv *tfprotov6.DynamicValue) tftypes.Value {
	v, err := dv.Unmarshal(typ)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func checkDiags(b *testing.B, rpc string, diags []*tfprotov6.Diagnostic) {
	b.Helper()
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			b.Fatalf("%s: %s: %s", rpc, d.Summary, d.Detail)
		}
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
