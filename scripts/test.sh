#!/usr/bin/env bash
# The whole suite: lint, unit + integration on SQLite, integration on PostgreSQL, and the
# real-consumer tests on SQLite, PostgreSQL and Redis queues. When PostgreSQL or Redis do
# not answer on localhost the tests that need them are skipped LOUDLY; under CI (CI=true)
# they are required and their absence fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${TIMBRA_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${TIMBRA_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

answers() { "$BIN/python" - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

# The portal's browser tests (tests/e2e/portal) drive Debian's Chromium through Playwright;
# `playwright install` (a download of its own browser) is never used. As root, install the
# Debian package when it is missing; otherwise those tests skip loudly (and fail under CI).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing Debian's chromium for the browser tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
      || echo "!!!!!! could not install chromium: the portal's browser tests will be skipped (fail under CI)"
  else
    echo "!!!!!! chromium is missing and this is not root: the portal's browser tests will be skipped"
  fi
fi

status=0
run() { echo "==> $*"; "$@"; rc=$?; if [ $rc -ne 0 ] && [ $rc -ne 5 ]; then status=1; fi; }

run "$BIN/ruff" check src tests bench
run "$BIN/mypy"

have_pg=1; answers 127.0.0.1 5432 || have_pg=0
have_redis=1; answers 127.0.0.1 6379 || have_redis=0
export TIMBRA_TEST_REDIS_URL="$REDIS_URL"
[ $have_redis -eq 1 ] || export TIMBRA_TEST_NO_REDIS=1
[ $have_pg -eq 1 ] && export TIMBRA_TEST_PG_URL="$PG_URL" || export TIMBRA_TEST_NO_PG=1

echo "==> whole suite on SQLite"
run "$BIN/pytest" -n 2 --dist loadfile tests

if [ $have_pg -eq 1 ]; then
  echo "==> integration suite on PostgreSQL ($PG_URL)"
  DATABASE_URL="$PG_URL" run "$BIN/pytest" tests/integration
else
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! PostgreSQL does not answer on 127.0.0.1:5432: PostgreSQL tests SKIPPED !!!"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  [ "${CI:-}" = "true" ] && status=1
fi
if [ $have_redis -eq 0 ]; then
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! Redis does not answer on 127.0.0.1:6379: Redis-queue tests SKIPPED !!!"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  [ "${CI:-}" = "true" ] && status=1
fi
[ $status -eq 0 ] && echo "ALL GREEN" || echo "SUITE FAILED"
exit $status
