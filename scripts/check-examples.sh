#!/usr/bin/env bash
# Checks every example configuration under examples/: `tofu fmt -check` over
# the whole tree, then `tofu validate` in each directory that holds .tf files,
# against the provider built from this checkout. Ends with
# scripts/check-doc-snippets.sh, which does the same for the ```terraform
# blocks of the documentation templates.
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

# shellcheck source=scripts/lib/tofu-dev.sh
source "$root/scripts/lib/tofu-dev.sh"
use_dev_overrides "$work"

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

	status=0
	validate_dir "$copy" || status=$?
	case $status in
	0)
		echo "ok    $dir"
		continue
		;;
	2)
		echo "skip  $dir (cannot install its other providers)"
		sed 's/^/      /' <<<"$validate_out"
		skipped+=("$dir")
		continue
		;;
	esac
	echo "FAIL  $dir"
	sed 's/^/      /' <<<"$validate_out"
	failed+=("$dir")
done

if [[ ${#skipped[@]} -gt 0 ]]; then
	echo "check-examples: ${#skipped[@]} example(s) not validated: ${skipped[*]}" >&2
	if [[ $EXAMPLES_STRICT == 1 ]]; then
		failed+=("${skipped[@]}")
	fi
fi
examples_ok=1
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "check-examples: failed: ${failed[*]}" >&2
	examples_ok=0
else
	echo "check-examples: ${#dirs[@]} example directories pass"
fi

# The ```terraform blocks of templates/ are checked the same way, with the
# provider built above.
snippets_ok=1
TOFU=$TOFU "$root/scripts/check-doc-snippets.sh" || snippets_ok=0

[[ $examples_ok == 1 && $snippets_ok == 1 ]]
