package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// TestProviderLogsOnlyWhenAsked starts the built provider as the CLI does,
// through go-plugin, sends it one RPC and reads what it writes to the CLI:
// nothing without a TF_LOG variable, the SDK's TRACE lines with TF_LOG=trace.
func TestProviderLogsOnlyWhenAsked(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "terraform-provider-oauth2")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// go-plugin names the lines it forwards after the plugin's file; it
	// writes one line of its own ("plugin address") whatever the level.
	const forwarded = "plugin.terraform-provider-oauth2:"
	sdkLines := []string{
		forwarded + " Received request",                  // terraform-plugin-go
		forwarded + " Calling provider defined Provider", // terraform-plugin-framework
		"tf_rpc=GetProviderSchema",
	}
	quiet := providerOutput(t, bin, nil)
	for _, line := range sdkLines {
		if strings.Contains(quiet, line) {
			t.Errorf("without a TF_LOG variable the provider wrote %s:\n%.2000s", line, quiet)
		}
	}
	traced := providerOutput(t, bin, []string{"TF_LOG=trace"})
	for _, want := range sdkLines {
		if !strings.Contains(traced, want) {
			t.Errorf("with TF_LOG=trace the provider's output lacks %s:\n%.2000s", want, traced)
		}
	}
}

// providerOutput serves bin as a plugin with the given environment on top
// of this process's, calls GetProviderSchema and returns what the provider
// wrote to its standard error, where the CLI reads its logs, as the CLI's
// plugin logger at TRACE prints it.
func providerOutput(t *testing.T, bin string, env []string) string {
	t.Helper()
	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_LOG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var logs syncBuffer
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			MagicCookieKey:   "TF_PLUGIN_MAGIC_COOKIE",
			MagicCookieValue: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
		},
		VersionedPlugins: map[int]plugin.PluginSet{6: {"provider": grpcOnly{}}},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Cmd:              cmd,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: &logs, Level: hclog.Trace}),
		StartTimeout:     30 * time.Second,
	})
	defer client.Kill()
	proto, err := client.Client()
	if err != nil {
		t.Fatalf("start the provider: %v", err)
	}
	grpcClient, ok := proto.(*plugin.GRPCClient)
	if !ok {
		t.Fatalf("the provider speaks %T, not gRPC", proto)
	}
	conn := grpcClient.Conn
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The request has no fields, and the response is only needed to have
	// arrived: the empty message stands for both.
	if err := conn.Invoke(ctx, "/tfplugin6.Provider/GetProviderSchema", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		t.Fatalf("GetProviderSchema: %v", err)
	}
	client.Kill()
	return logs.String()
}

// grpcOnly lets go-plugin hand out the raw gRPC connection.
type grpcOnly struct{ plugin.NetRPCUnsupportedPlugin }

func (grpcOnly) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (grpcOnly) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
