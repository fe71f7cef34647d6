#!/usr/bin/env bash
# Checks every ```terraform block of the documentation templates
# (templates/**/*.md.tmpl): `tofu fmt -check` on the block as written, then
# `tofu validate` against the provider built from this checkout, as
# scripts/check-examples.sh does for examples/ (which runs this script last).
#
# tools/docsnippets writes each block to a directory of its own, with the
# variables, locals and oauth2_* blocks it uses without declaring them added
# in a separate context.tf. A block that needs context that cannot be made up
# (another provider's resource, a `# ...` elision) is preceded in its
# template by `<!-- snippet: partial -->` and skipped; so are blocks with
# tfplugindocs template syntax ({{). Failures name the template and the line.
#
# A block that needs another provider is validated when its registry can be
# reached and otherwise reported as skipped; EXAMPLES_STRICT=1 turns such
# skips into failures.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

TOFU=${TOFU:-$root/.bin/tofu}
TEMPLATES_DIR=${TEMPLATES_DIR:-templates}
EXAMPLES_STRICT=${EXAMPLES_STRICT:-0}

if [[ ! -x $TOFU ]]; then
	echo "check-doc-snippets: $TOFU is missing; run 'make tofu'" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=scripts/lib/tofu-dev.sh
source "$root/scripts/lib/tofu-dev.sh"
use_dev_overrides "$work"

echo "==> doc snippets in $TEMPLATES_DIR"
manifest=$(go run ./tools/docsnippets -out "$work/snippets" "$TEMPLATES_DIR")

# relocate FILE LINE: rewrite tofu's "main.tf line N" as the template line.
relocate() {
	awk -v file="$1" -v first="$2" '{
		while (match($0, /main\.tf line [0-9]+/)) {
			n = substr($0, RSTART + 13, RLENGTH - 13) + first - 1
			$0 = substr($0, 1, RSTART - 1) file " line " n substr($0, RSTART + RLENGTH)
		}
		print "      " $0
	}'
}

checked=0
failed=()
skipped=()
partial=()
template=()
while IFS=$'\t' read -r kind dir file line note; do
	where=$file:$line
	case $kind in
	partial)
		partial+=("$where")
		echo "skip  $where (marked partial)"
		continue
		;;
	template)
		template+=("$where")
		echo "skip  $where (template syntax)"
		continue
		;;
	context)
		echo "FAIL  $where: $note; declare it in the snippet or mark the snippet <!-- snippet: partial -->"
		failed+=("$where")
		continue
		;;
	esac

	checked=$((checked + 1))
	ok=1
	if ! out=$("$TOFU" -chdir="$dir" fmt -check -diff -no-color main.tf 2>&1); then
		echo "FAIL  $where: not formatted (tofu fmt)"
		relocate "$file" "$line" <<<"$out"
		ok=0
	fi
	status=0
	validate_dir "$dir" || status=$?
	case $status in
	0) ;;
	2)
		echo "skip  $where (cannot install its other providers)"
		sed 's/^/      /' <<<"$validate_out"
		skipped+=("$where")
		continue
		;;
	*)
		echo "FAIL  $where: tofu validate"
		relocate "$file" "$line" <<<"$validate_out"
		ok=0
		;;
	esac
	if [[ $ok == 1 ]]; then
		echo "ok    $where"
	else
		failed+=("$where")
	fi
done <<<"$manifest"

if [[ ${#partial[@]} -gt 0 || ${#template[@]} -gt 0 ]]; then
	echo "check-doc-snippets: skipped ${#partial[@]} snippet(s) marked partial and ${#template[@]} with template syntax"
fi
if [[ ${#skipped[@]} -gt 0 ]]; then
	echo "check-doc-snippets: ${#skipped[@]} snippet(s) not validated: ${skipped[*]}" >&2
	if [[ $EXAMPLES_STRICT == 1 ]]; then
		failed+=("${skipped[@]}")
	fi
fi
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "check-doc-snippets: failed: ${failed[*]}" >&2
	exit 1
fi
echo "check-doc-snippets: $((checked - ${#skipped[@]})) snippets pass"
