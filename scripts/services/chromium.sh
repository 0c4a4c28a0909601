#!/usr/bin/env bash
# Chromium for the browser end-to-end tests (Microsoft.Playwright drives Debian's chromium; no browser download).
# Sourced by scripts/test.sh: installs the package when missing and exports GUMSHOE_TEST_CHROMIUM.
if [ ! -x /usr/bin/chromium ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium >/dev/null || echo "chromium.sh: cannot install chromium" >&2
fi
export GUMSHOE_TEST_CHROMIUM=/usr/bin/chromium
