#!/usr/bin/env bash
# Install what the browser tests (tests/browser, `pytest -m browser`) need from Debian:
# Chromium, driven by Playwright through executable_path=/usr/bin/chromium.
# (`playwright install` cannot download its own browser here, and is not needed.)
# Idempotent: does nothing when /usr/bin/chromium already exists. Run as root.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "browser-deps: /usr/bin/chromium present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "browser-deps: /usr/bin/chromium is missing and installing it needs root" >&2
  exit 1
fi
t0=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
test -x /usr/bin/chromium
echo "browser-deps: chromium installed in $(( $(date +%s) - t0 )) s"
