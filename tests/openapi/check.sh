#!/usr/bin/env bash
# Holds openapi.json to the server: Spectral lints it with spectral:oas (.spectral.yaml;
# any error or warning fails), then Schemathesis runs every check it has (`--checks
# all`) against a real server holding the demo, in its examples, coverage and fuzzing
# phases, with a fixed seed and a bounded number of examples per operation, so a run is
# repeatable and any finding fails.
#
# Needs the tools installed (as .ci/run does):
#   npm ci --prefix tests/openapi
#   python3 -m pip install --target tests/openapi/python -r tests/openapi/requirements.txt
# and a built binary: ORGDESIGN_BIN, default target/debug/orgdesign.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN="${ORGDESIGN_BIN:-target/debug/orgdesign}"
SEED="${OPENAPI_CHECK_SEED:-20250}"
MAX_EXAMPLES="${OPENAPI_CHECK_MAX_EXAMPLES:-50}"

echo "== spectral lint openapi.json (spectral:oas; errors and warnings fail)"
tests/openapi/node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity warn openapi.json

work="$(mktemp -d)"
server_pid=""
stop() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop EXIT

# A server of its own: a fresh SQLite file, a signing key for this run only, and a rate
# limit Schemathesis does not reach (429s would hide what it tests).
export DATABASE_URL="sqlite://$work/openapi.db?mode=rwc"
ORGDESIGN_JWT_SECRET="openapi-check-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export ORGDESIGN_JWT_SECRET
export ORGDESIGN_LIMITS__REQUESTS_PER_MINUTE=1000000
export ORGDESIGN_LIMITS__REQUEST_BURST=1000000
"$BIN" serve --bind 127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!
address=""
for _ in $(seq 1 100); do
    address="$(grep -o 'listening on: 127\.0\.0\.1:[0-9]*' "$work/server.log" | head -1 | cut -d' ' -f3 || true)"
    [ -n "$address" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
if [ -z "$address" ]; then
    echo "the server did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
"$BIN" demo >/dev/null
token="$("$BIN" token --role admin --ttl 1h)"

echo "== schemathesis run --checks all (examples, coverage, fuzzing; seed $SEED, at most $MAX_EXAMPLES examples) against $address"
# Run from the tool's folder: Schemathesis keeps its cache (.schemathesis/) in the
# working directory. The hooks give the generator what JSON Schema cannot say (see
# hooks.py); the document states the same rules in words.
(
    cd tests/openapi
    PYTHONPATH="$PWD/python:$PWD" SCHEMATHESIS_HOOKS=hooks \
        python3 python/bin/schemathesis run ../../openapi.json \
        --url "http://$address" \
        --header "Authorization: Bearer $token" \
        --checks all \
        --phases examples,coverage,fuzzing \
        --seed "$SEED" \
        --max-examples "$MAX_EXAMPLES" \
        --workers 1 \
        --generation-database none \
        --no-color ${OPENAPI_CHECK_EXTRA:-}
) || {
    echo "Schemathesis found requests the server and openapi.json disagree on (above)" >&2
    exit 1
}
