#!/usr/bin/env bash
# Regenerates docs/ from the provider's schema, examples/ and templates/.
#
# tfplugindocs is given the schema as a file, so it never downloads a
# Terraform binary: the schema comes from OpenTofu (.bin/tofu) loading the
# provider built from this checkout out of a local plugin directory.
#
# tfplugindocs looks the schema up under registry.terraform.io/hashicorp/<name>,
# hence that address for the local build.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

TOFU=${TOFU:-$root/.bin/tofu}
TFPLUGINDOCS=${TFPLUGINDOCS:-$root/.bin/tfplugindocs}
provider_name=oauth2

for tool in "$TOFU" "$TFPLUGINDOCS"; do
	if [[ ! -x $tool ]]; then
		echo "generate-docs: $tool is missing; run 'make tofu tools'" >&2
		exit 1
	fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# An empty CLI configuration keeps the caller's dev_overrides, plugin cache or
# missing config file out of this run.
export TF_CLI_CONFIG_FILE=$work/cli.tfrc
: >"$TF_CLI_CONFIG_FILE"
unset TF_PLUGIN_CACHE_DIR

plugin_dir=$work/plugins/registry.terraform.io/hashicorp/$provider_name/0.0.1/$(go env GOOS)_$(go env GOARCH)
mkdir -p "$plugin_dir"
go build -o "$plugin_dir/terraform-provider-$provider_name" .

cat >"$work/main.tf" <<HCL
terraform {
  required_providers {
    $provider_name = {
      source = "registry.terraform.io/hashicorp/$provider_name"
    }
  }
}
HCL

"$TOFU" -chdir="$work" init -input=false -backend=false -plugin-dir="$work/plugins" >"$work/init.log" 2>&1 || {
	cat "$work/init.log" >&2
	exit 1
}
"$TOFU" -chdir="$work" providers schema -json >"$work/schema.json"

"$TFPLUGINDOCS" generate \
	--provider-dir "$root" \
	--provider-name "$provider_name" \
	--rendered-provider-name "OAuth2" \
	--providers-schema "$work/schema.json"

# validate logs every file it checks; show its output only when it fails.
if ! "$TFPLUGINDOCS" validate \
	--provider-dir "$root" \
	--provider-name "$provider_name" \
	--providers-schema "$work/schema.json" >"$work/validate.log" 2>&1; then
	sed '/\[DEBUG\]/d' "$work/validate.log" >&2
	exit 1
fi
echo "tfplugindocs validate: docs/ is valid"
