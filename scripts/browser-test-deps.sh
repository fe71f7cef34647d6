#!/usr/bin/env bash
# Installs what the real-browser test (TestAccBrowser_* in internal/provider)
# needs: Debian's chromium package, when /usr/bin/chromium is missing.
#
#   scripts/browser-test-deps.sh
#
# It does nothing (and returns at once) when /usr/bin/chromium exists or
# OAUTH2_CHROMIUM names an executable. Otherwise it installs the package as
# root, through sudo when this does not run as root and sudo is available,
# and fails with a message saying what to do when it cannot. A failed
# install fails the script.
set -euo pipefail

chromium=/usr/bin/chromium

if [ -n "${OAUTH2_CHROMIUM:-}" ] && [ -x "$OAUTH2_CHROMIUM" ]; then
	exit 0
fi
if [ -x "$chromium" ]; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "browser-test-deps: $chromium is missing and there is no apt-get to install it; install Chromium, or set OAUTH2_CHROMIUM to its binary" >&2
	exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		as_root=(sudo --)
	else
		echo "browser-test-deps: $chromium is missing; installing it needs root (run as root, or install sudo), or install Chromium yourself (apt-get install chromium) or set OAUTH2_CHROMIUM to its binary" >&2
		exit 1
	fi
fi

# apt and dpkg talk a lot; their output is shown only when they fail.
log=$(mktemp "${TMPDIR:-/tmp}/browser-test-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
apt() {
	if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1; then
		cat "$log" >&2
		echo "browser-test-deps: apt-get $* failed" >&2
		exit 1
	fi
}

echo "browser-test-deps: installing Chromium from apt" >&2
apt update -qq
apt install -y -qq chromium

if [ ! -x "$chromium" ]; then
	echo "browser-test-deps: the chromium package is installed but $chromium is missing" >&2
	exit 1
fi
echo "browser-test-deps: $("$chromium" --version 2>/dev/null || echo chromium) installed" >&2
