#!/usr/bin/env bash
# make demo: the mock upstream and the gateway on loopback, one client run, then both stopped.
set -euo pipefail
MOCK_PORT=${MOCK_PORT:-8001}
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
logs=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$logs"
}
trap cleanup EXIT

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
for p in "$MOCK_PORT" "$PORT"; do
  if port_busy "$p"; then
    echo "port $p on $HOST is in use; free it or run e.g. make demo PORT=18000 MOCK_PORT=18001" >&2
    exit 1
  fi
done

wait_for() { # url, name, log
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not start; its log:" >&2
  cat "$3" >&2
  exit 1
}

MOCK_PORT=$MOCK_PORT MOCK_HOST=$HOST node --import tsx mock-upstream/main.ts >"$logs/mock.log" 2>&1 &
pids+=($!)
wait_for "http://$HOST:$MOCK_PORT/v1/models" "mock upstream" "$logs/mock.log"

# The environment wins over any .env, so the demo always talks to the mock.
UPSTREAM_BASE_URL="http://$HOST:$MOCK_PORT/v1" UPSTREAM_API_KEY="" PORT=$PORT HOST=$HOST LOG_LEVEL=warn \
  SUMMARY_MODEL_DEFAULT="" ALLOW_MODELS="" \
  node --import tsx src/main.ts >"$logs/gateway.log" 2>&1 &
pids+=($!)
wait_for "http://$HOST:$PORT/healthz" "gateway" "$logs/gateway.log"

echo "mock upstream: http://$HOST:$MOCK_PORT/v1   gateway: http://$HOST:$PORT"
echo "playground: http://$HOST:$PORT/   admin dashboard: http://$HOST:$PORT/admin   (open while the demo runs; keep them with make mock-upstream + make run-gateway)"
echo
# shellcheck disable=SC2086
node --import tsx client/bin.ts --url "http://$HOST:$PORT/v1/chat/completions" ${CLIENT_ARGS:-}

# The request log kept what just happened (flushed every 500 ms).
sleep 0.7
rows=$(curl -fsS "http://$HOST:$PORT/v1/requests?limit=500" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).requests.length)}catch{console.log("?")}})')
echo
echo "request log: $rows request(s) so far (GET http://$HOST:$PORT/v1/requests; embedded PGlite in ./data unless DATABASE_URL is set)"
