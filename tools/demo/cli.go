package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// minCLIVersion is the oldest CLI the quickstart runs on: OpenTofu has
// ephemeral resources and write-only attributes from 1.11, Terraform has
// both from 1.11.
var minCLIVersion = [2]int{1, 11}

// pathCLIs are looked up on PATH, in this order, when -cli is not given.
// OpenTofu comes first because the test suite runs through it.
var pathCLIs = []string{"tofu", "terraform"}

// cli is the Terraform-compatible binary the demo runs.
type cli struct {
	path    string
	name    string // "Terraform" or "OpenTofu"
	version string
}

// chooseCLI returns the CLI the demo runs: explicit when given; else the
// first of pathCLIs found on pathList at minCLIVersion or later; else
// .bin/tofu under root, built with `make tofu` (which does nothing when it
// is current).
func chooseCLI(ctx context.Context, root, explicit, pathList string) (cli, error) {
	if explicit != "" {
		p, err := filepath.Abs(explicit)
		if err != nil {
			return cli{}, err
		}
		c, err := inspectCLI(ctx, p)
		if err != nil {
			return cli{}, fmt.Errorf("-cli %s: %w", explicit, err)
		}
		if !versionAtLeast(c.version, minCLIVersion) {
			return cli{}, fmt.Errorf("-cli %s is %s %s; the quickstart needs %d.%d or later", explicit, c.name, c.version, minCLIVersion[0], minCLIVersion[1])
		}
		return c, nil
	}

	for _, name := range pathCLIs {
		p, err := lookPath(name, pathList)
		if err != nil {
			continue
		}
		c, err := inspectCLI(ctx, p)
		if err != nil {
			fmt.Printf("Skipping %s: %v\n", p, err)
			continue
		}
		if !versionAtLeast(c.version, minCLIVersion) {
			fmt.Printf("Skipping %s: %s %s is older than %d.%d\n", p, c.name, c.version, minCLIVersion[0], minCLIVersion[1])
			continue
		}
		return c, nil
	}

	step("No tofu or terraform %d.%d+ on PATH: building OpenTofu into .bin/tofu (minutes the first time, then reused)", minCLIVersion[0], minCLIVersion[1])
	cmd := exec.CommandContext(ctx, "make", "tofu")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return cli{}, fmt.Errorf("make tofu: %w (or pass -cli with a Terraform or OpenTofu %d.%d+ binary)", err, minCLIVersion[0], minCLIVersion[1])
	}
	return inspectCLI(ctx, filepath.Join(root, ".bin", "tofu"))
}

// lookPath is exec.LookPath over an explicit PATH value, so that tests can
// choose what is installed.
func lookPath(name, pathList string) (string, error) {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return filepath.Abs(p)
		}
	}
	return "", exec.ErrNotFound
}

// inspectCLI asks a binary for its version with `version -json`, which
// both CLIs answer with a terraform_version field.
func inspectCLI(ctx context.Context, path string) (cli, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "version", "-json")
	// No update check over the network, and no user configuration that
	// could print warnings.
	cmd.Env = append(cleanEnv(os.Environ()), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+os.DevNull)
	out, err := cmd.Output()
	if err != nil {
		return cli{}, fmt.Errorf("%s version -json: %w", path, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		return cli{}, fmt.Errorf("%s version -json printed no version: %q", path, strings.TrimSpace(string(out)))
	}
	return cli{path: path, name: cliName(path), version: v.Version}, nil
}

// cliName names the CLI after its binary: OpenTofu's `version -json` has
// no field of its own to tell it from Terraform.
func cliName(path string) string {
	if strings.Contains(strings.ToLower(filepath.Base(path)), "tofu") {
		return "OpenTofu"
	}
	return "Terraform"
}

// versionAtLeast reports whether a version such as "1.11.4" or
// "1.12.0-beta1" is at least want (major, minor).
func versionAtLeast(version string, want [2]int) bool {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err := errors.Join(err1, err2); err != nil {
		return false
	}
	return major > want[0] || major == want[0] && minor >= want[1]
}
