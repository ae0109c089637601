#!/usr/bin/env bash
# make demo: the mock upstream and the gateway on loopback, one client run, then both stopped —
# or, with KEEP=1, left running (playground and dashboard included) until Ctrl-C.
set -euo pipefail
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

MOCK_PORT=$MOCK_PORT MOCK_HOST=$HOST MOCK_LONG_REASONING_SECONDS=${MOCK_LONG_REASONING_SECONDS:-6} node --import tsx mock-upstream/main.ts >"$logs/mock.log" 2>&1 &
pids+=($!)
wait_for "http://$HOST:$MOCK_PORT/v1/models" "mock upstream" "$logs/mock.log"

# The environment wins over any .env, so the demo always talks to the mock.
UPSTREAM_BASE_URL="http://$HOST:$MOCK_PORT/v1" UPSTREAM_API_KEY="" PORT=$PORT HOST=$HOST LOG_LEVEL=warn \
  SUMMARY_MODEL_DEFAULT="" ALLOW_MODELS="" REASONING_PROGRESS_SECONDS=${REASONING_PROGRESS_SECONDS:-2} \
  node --import tsx src/main.ts >"$logs/gateway.log" 2>&1 &
pids+=($!)
wait_for "http://$HOST:$PORT/healthz" "gateway" "$logs/gateway.log"

echo "mock upstream: http://$HOST:$MOCK_PORT/v1   gateway: http://$HOST:$PORT"
if [[ -n "$KEEP" ]]; then
  echo "playground: http://$HOST:$PORT/   admin dashboard: http://$HOST:$PORT/admin   (they stay up after the answer, until Ctrl-C)"
else
  echo "playground: http://$HOST:$PORT/   admin dashboard: http://$HOST:$PORT/admin   (they stop when the demo ends; make demo KEEP=1 keeps them up until Ctrl-C)"
fi
echo
if [[ -n "${CLIENT_ARGS:-}" ]]; then
  # shellcheck disable=SC2086
  node --import tsx client/bin.ts --url "http://$HOST:$PORT" ${CLIENT_ARGS}
else
  node --import tsx client/bin.ts --url "http://$HOST:$PORT" --model mock-long-think "$DEMO_PROMPT"
fi

# The request log keeps what just happened (written in batches, every 500 ms): wait until it shows.
count_rows() { curl -fsS "http://$HOST:$PORT/v1/requests?limit=500" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).requests.length)}catch{console.log("?")}})'; }
rows="?"
for _ in $(seq 1 50); do
  rows=$(count_rows)
  [[ "$rows" =~ ^[1-9] ]] && break
  sleep 0.1
done
echo
echo "request log: $rows request(s) so far (GET http://$HOST:$PORT/v1/requests; embedded PGlite in ./data unless DATABASE_URL is set)"
if [[ -n "$KEEP" ]]; then
  echo "still running: playground http://$HOST:$PORT/   admin http://$HOST:$PORT/admin   — press Ctrl-C to stop"
  # Here Ctrl-C is the way to finish, not a failure.
  trap 'echo; echo "stopped."; exit 0' INT TERM
  wait
else
  echo "stopping the gateway and the mock upstream (the playground and dashboard go with them); make demo KEEP=1 keeps them up"
fi
