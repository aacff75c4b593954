#!/bin/sh
# Headless Chromium for the report tests: a private profile (the tests run
# as any user, root in CI, where the sandbox needs --no-sandbox), no GPU, and
# its own chatter on stderr dropped.
#   chromium.sh <profile dir> <chromium arguments...>
profile=$1
shift
exec timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
  --user-data-dir="$profile" "$@" 2>/dev/null
