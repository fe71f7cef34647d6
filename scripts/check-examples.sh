#!/usr/bin/env bash
# Checks every example configuration under examples/: `tofu fmt -check` over
# the whole tree, then `tofu validate` in each directory that holds .tf files,
# against the provider built from this checkout.
#
# The local build is wired in through dev_overrides, which need no `init`.
# An example that also needs another provider must be initialised from a
# registry; when that is not reachable the example is reported as skipped,
# and EXAMPLES_STRICT=1 turns skips into failures. Prefer examples that use
# only this provider and built-ins such as terraform_data.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

TOFU=${TOFU:-$root/.bin/tofu}
EXAMPLES_DIR=${EXAMPLES_DIR:-examples}
EXAMPLES_STRICT=${EXAMPLES_STRICT:-0}

if [[ ! -x $TOFU ]]; then
	echo "check-examples: $TOFU is missing; run 'make tofu'" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin"
go build -o "$work/bin/terraform-provider-oauth2" .

# The examples name the provider by its registry source (oauth2-tf/oauth2);
# snippets without a required_providers block resolve to hashicorp/oauth2.
# Both, on either registry host, point at the local build.
export TF_CLI_CONFIG_FILE=$work/cli.tfrc
cat >"$TF_CLI_CONFIG_FILE" <<HCL
provider_installation {
  dev_overrides {
    "registry.opentofu.org/oauth2-tf/oauth2"  = "$work/bin"
    "registry.terraform.io/oauth2-tf/oauth2"  = "$work/bin"
    "registry.opentofu.org/hashicorp/oauth2"  = "$work/bin"
    "registry.terraform.io/hashicorp/oauth2"  = "$work/bin"
  }
  direct {}
}
HCL
unset TF_PLUGIN_CACHE_DIR
export TF_IN_AUTOMATION=1

failed=()
skipped=()

echo "==> $(basename "$TOFU") fmt -check -recursive $EXAMPLES_DIR"
if ! "$TOFU" fmt -check -diff -recursive "$EXAMPLES_DIR"; then
	failed+=("fmt: run 'make fmt'")
fi

mapfile -t dirs < <(find "$EXAMPLES_DIR" -type f -name '*.tf' -printf '%h\n' | sort -u)
if [[ ${#dirs[@]} -eq 0 ]]; then
	echo "check-examples: no .tf files under $EXAMPLES_DIR" >&2
	exit 1
fi

for dir in "${dirs[@]}"; do
	# Validate a copy so no .terraform/ or lock file lands in the checkout.
	copy=$work/examples/$dir
	mkdir -p "$copy"
	find "$dir" -maxdepth 1 -type f \( -name '*.tf' -o -name '*.tftpl' -o -name '*.tfvars' \) -exec cp {} "$copy/" \;

	if out=$("$TOFU" -chdir="$copy" validate -no-color 2>&1); then
		echo "ok    $dir"
		continue
	fi
	if grep -q 'tofu init' <<<"$out"; then
		# Another provider is required: install it (needs its registry).
		if init_out=$("$TOFU" -chdir="$copy" init -input=false -backend=false -no-color 2>&1); then
			if out=$("$TOFU" -chdir="$copy" validate -no-color 2>&1); then
				echo "ok    $dir"
				continue
			fi
		else
			echo "skip  $dir (cannot install its other providers)"
			sed 's/^/      /' <<<"$init_out" | grep -i -m3 'error' || true
			skipped+=("$dir")
			continue
		fi
	fi
	echo "FAIL  $dir"
	sed 's/^/      /' <<<"$out"
	failed+=("$dir")
done

if [[ ${#skipped[@]} -gt 0 ]]; then
	echo "check-examples: ${#skipped[@]} example(s) not validated: ${skipped[*]}" >&2
	if [[ $EXAMPLES_STRICT == 1 ]]; then
		failed+=("${skipped[@]}")
	fi
fi
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "check-examples: failed: ${failed[*]}" >&2
	exit 1
fi
echo "check-examples: ${#dirs[@]} example directories pass"
