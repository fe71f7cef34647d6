# Shared by scripts/check-examples.sh and scripts/check-doc-snippets.sh; source
# it, do not run it. Requires bash and the repository root as the working
# directory.

# use_dev_overrides WORKDIR: build the provider from this checkout into
# WORKDIR/bin and point tofu at it through dev_overrides, which need no `init`.
# A caller that already did this (check-examples.sh calling
# check-doc-snippets.sh) passes its configuration on in OAUTH2_DEV_TFRC, and
# the build is not repeated.
use_dev_overrides() {
	local dir=$1
	unset TF_PLUGIN_CACHE_DIR
	export TF_IN_AUTOMATION=1
	if [[ -n ${OAUTH2_DEV_TFRC:-} && -f $OAUTH2_DEV_TFRC ]]; then
		export TF_CLI_CONFIG_FILE=$OAUTH2_DEV_TFRC
		return
	fi

	mkdir -p "$dir/bin"
	go build -o "$dir/bin/terraform-provider-oauth2" .

	# The examples name the provider by its registry source (oauth2-tf/oauth2);
	# snippets without a required_providers block resolve to hashicorp/oauth2.
	# Both, on either registry host, point at the local build.
	export TF_CLI_CONFIG_FILE=$dir/cli.tfrc
	cat >"$TF_CLI_CONFIG_FILE" <<HCL
provider_installation {
  dev_overrides {
    "registry.opentofu.org/oauth2-tf/oauth2"  = "$dir/bin"
    "registry.terraform.io/oauth2-tf/oauth2"  = "$dir/bin"
    "registry.opentofu.org/hashicorp/oauth2"  = "$dir/bin"
    "registry.terraform.io/hashicorp/oauth2"  = "$dir/bin"
  }
  direct {}
}
HCL
	export OAUTH2_DEV_TFRC=$TF_CLI_CONFIG_FILE
}

# quiet_dev_overrides: drop tofu's warning that dev_overrides are in effect.
quiet_dev_overrides() {
	awk '/Warning: Provider development overrides are in effect/ { skip = 1 }
		!skip { print }
		skip && /releases\.$/ { skip = 0 }' | sed '/./,$!d'
}

# validate_dir DIR: `tofu validate` DIR, with its output, less the
# dev_overrides warning, in $validate_out.
# Returns 0 when it is valid, 1 when it is not, and 2 when it needs another
# provider that cannot be installed (its registry is not reachable).
validate_dir() {
	local dir=$1 init_out
	if validate_out=$("$TOFU" -chdir="$dir" validate -no-color 2>&1); then
		return 0
	fi
	validate_out=$(quiet_dev_overrides <<<"$validate_out")
	grep -Eq '(tofu|terraform) init' <<<"$validate_out" || return 1
	# Another provider is required: install it (needs its registry).
	if ! init_out=$("$TOFU" -chdir="$dir" init -input=false -backend=false -no-color 2>&1); then
		validate_out=$(grep -i -m3 'error' <<<"$init_out" || true)
		return 2
	fi
	local status=0
	validate_out=$("$TOFU" -chdir="$dir" validate -no-color 2>&1) || status=$?
	validate_out=$(quiet_dev_overrides <<<"$validate_out")
	return $status
}
