#!/usr/bin/env bash
# make demo: the mock upstream and the gateway on loopback, one client run, then both stopped —
# or, with KEEP=1, left running (playground and dashboard included) until Ctrl-C.
# Runs the compiled build (`make demo` builds it first) from the current directory, whose `.env`
# the gateway reads: keys and an admin token there are honoured, and the demo authenticates with them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MOCK_PORT=${MOCK_PORT:-8001}
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
KEEP=${KEEP:-}
# A question the mock's long reasoner thinks about in paragraphs (its scripted reasoning is about
# the sky) for a few seconds, so the live progress summaries show under section 2.
DEMO_PROMPT="Why is the sky blue, and not violet, even though violet light has the shorter wavelength? Answer in one short paragraph."
logs=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$logs"
}
trap cleanup EXIT
# Ctrl-C (KEEP=1 waits for it) must still run the cleanup above.
trap 'exit 130' INT TERM

for f in dist/src/main.js dist/mock-upstream/main.js dist/client/bin.js; do
  if [[ ! -f "$ROOT/$f" ]]; then
    echo "demo: $ROOT/$f is missing; run make build first (make demo does)" >&2
    exit 1
  fi
done

# The gateway's access settings as it will see them: the environment, then ./.env (the same parser
# the gateway uses). Printed as three lines: a key for the client (GATEWAY_API_KEY, else the first of
# GATEWAY_API_KEYS, else ADMIN_TOKEN), the admin token, and whether a keys file is set.
mapfile -t access < <(node --input-type=module -e '
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
const env = { ...(existsSync(".env") ? parseEnv(readFileSync(".env", "utf8")) : {}), ...process.env };
// Blank means unset, and values are trimmed, as the gateway'"'"'s configuration reads them.
const get = (k) => (env[k] ?? "").trim();
const firstKey = get("GATEWAY_API_KEYS").split(",").map((k) => k.trim()).find((k) => k !== "") ?? "";
console.log(get("GATEWAY_API_KEY") || firstKey || get("ADMIN_TOKEN"));
console.log(get("ADMIN_TOKEN"));
console.log(get("GATEWAY_KEYS_FILE") ? "yes" : "");
')
CLIENT_KEY=${access[0]:-}
ADMIN_KEY=${access[1]:-}
KEYS_FILE=${access[2]:-}
if [[ -n "$KEYS_FILE" && -z "$CLIENT_KEY" ]]; then
  echo "demo: the gateway takes its keys from GATEWAY_KEYS_FILE, which holds only their digests, so the demo has no key to send." >&2
  echo "      Set GATEWAY_API_KEY=<one of those keys> in the environment or .env (or ADMIN_TOKEN), and run it again." >&2
  exit 1
fi
# Operator routes (the request log) take the admin token when there is one, else any key.
OPERATOR_KEY=${ADMIN_KEY:-$CLIENT_KEY}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
for p in "$MOCK_PORT" "$PORT"; do
  if port_busy "$p"; then
    echo "port $p on $HOST is in use; free it or run e.g. make demo PORT=18000 MOCK_PORT=18001" >&2
    exit 1
  fi
done

wait_for() { # url, name, log — up to a minute: a loaded machine can be that slow to start them
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not start; its log:" >&2
  cat "$3" >&2
  exit 1
}

MOCK_PORT=$MOCK_PORT MOCK_HOST=$HOST MOCK_LONG_REASONING_SECONDS=${MOCK_LONG_REASONING_SECONDS:-6} node "$ROOT/dist/mock-upstream/main.js" >"$logs/mock.log" 2>&1 &
pids+=($!)
wait_for "http://$HOST:$MOCK_PORT/v1/models" "mock upstream" "$logs/mock.log"

# The environment wins over any .env, so the demo always talks to the mock.
UPSTREAM_BASE_URL="http://$HOST:$MOCK_PORT/v1" UPSTREAM_API_KEY="" PORT=$PORT HOST=$HOST LOG_LEVEL=warn \
  SUMMARY_MODEL_DEFAULT="" ALLOW_MODELS="" REASONING_PROGRESS_SECONDS=${REASONING_PROGRESS_SECONDS:-2} \
  node "$ROOT/dist/src/main.js" >"$logs/gateway.log" 2>&1 &
pids+=($!)
wait_for "http://$HOST:$PORT/healthz" "gateway" "$logs/gateway.log"

echo "mock upstream: http://$HOST:$MOCK_PORT/v1   gateway: http://$HOST:$PORT"
if [[ -n "$KEEP" ]]; then
  echo "playground: http://$HOST:$PORT/   admin dashboard: http://$HOST:$PORT/admin   (they stay up after the answer, until Ctrl-C)"
else
  echo "playground: http://$HOST:$PORT/   admin dashboard: http://$HOST:$PORT/admin   (they stop when the demo ends; make demo KEEP=1 keeps them up until Ctrl-C)"
fi
echo
# The key travels in the environment, not on the command line, where `ps` would show it.
client_status=0
if [[ -n "${CLIENT_ARGS:-}" ]]; then
  # shellcheck disable=SC2086
  GATEWAY_API_KEY=$CLIENT_KEY node "$ROOT/dist/client/bin.js" --url "http://$HOST:$PORT" ${CLIENT_ARGS} || client_status=$?
else
  GATEWAY_API_KEY=$CLIENT_KEY node "$ROOT/dist/client/bin.js" --url "http://$HOST:$PORT" --model mock-long-think "$DEMO_PROMPT" || client_status=$?
fi
if [[ $client_status -ne 0 ]]; then
  echo "demo: the client run failed (exit $client_status); the gateway's log:" >&2
  cat "$logs/gateway.log" >&2
  exit "$client_status"
fi

# The request log keeps what just happened (written in batches, every 500 ms): wait until it shows.
# On a first start the embedded database is still being created while the gateway already serves
# (its routes answer 503 request_log_starting meanwhile): wait up to a minute for both.
# Prints the number of rows, or why there is none to count.
count_rows() {
  local body status
  body=$(mktemp -p "$logs")
  status=$(curl -sS -o "$body" -w '%{http_code}' ${OPERATOR_KEY:+-H "Authorization: Bearer $OPERATOR_KEY"} "http://$HOST:$PORT/v1/requests?limit=500" 2>/dev/null) || status=000
  case "$status" in
    200) node -e 'try{console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).requests.length)}catch{console.log("?")}' "$body" ;;
    401|403) echo "not counted: the gateway refused the request log (HTTP $status); set ADMIN_TOKEN, or GATEWAY_API_KEY to a key it accepts" ;;
    503) if grep -q request_log_starting "$body"; then echo "0"; else echo "not counted: the request log is off (REQUEST_LOG=false)"; fi ;;
    *) echo "not counted: GET /v1/requests answered HTTP $status" ;;
  esac
}
rows="?"
deadline=$((SECONDS + 60))
while (( SECONDS < deadline )); do
  rows=$(count_rows)
  [[ "$rows" =~ ^[1-9]|^not ]] && break
  sleep 0.2
done
echo
if [[ "$rows" == not* ]]; then
  echo "request log: $rows"
else
  echo "request log: $rows request(s) so far (GET http://$HOST:$PORT/v1/requests; embedded PGlite in ./data unless DATABASE_URL is set)"
fi
if [[ -n "$KEEP" ]]; then
  echo "still running: playground http://$HOST:$PORT/   admin http://$HOST:$PORT/admin   — press Ctrl-C to stop"
  # Here Ctrl-C is the way to finish, not a failure.
  trap 'echo; echo "stopped."; exit 0' INT TERM
  wait
else
  echo "stopping the gateway and the mock upstream (the playground and dashboard go with them); make demo KEEP=1 keeps them up"
fi
