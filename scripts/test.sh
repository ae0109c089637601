#!/usr/bin/env bash
# make test's stages (the Makefile's `test` target runs this after installing what is missing).
#
# The lint (prettier's check, then type-aware eslint: ~65 CPU-s, the longest check) gates nothing,
# so it starts first and runs beside everything else at the lowest priority: it takes the cycles
# the tests leave idle (processes, sockets and timers they wait on) instead of competing with them.
# Meanwhile the type checks and the build the process tests spawn run two at a time, each one's
# output printed together, so a broken build or a type error shows before any test starts (esbuild
# does not check types). Then vitest runs. make test fails if any of them failed, and says which.
set -uo pipefail
MAKE=${MAKE:-make}
TYPE_CHECKS=${TYPE_CHECKS:?the type-check targets to run}
LINT_STATUS=test-artifacts/lint.status
RESULTS=test-artifacts/vitest-results.json
mkdir -p test-artifacts && rm -f "$LINT_STATUS" "$RESULTS"

# The lint runs in a session of its own, so it can be stopped as one process group. On Linux a new
# session is also a new scheduling group (the kernel's autogroups, on by default), and a group
# competes with the tests' group as an equal whatever its processes' nice value: "nice 19" alone
# left the lint half the cores while the tests wanted them. So the lint lowers its group's own
# priority (/proc/self/autogroup) as well as its processes' (nice 19).
setsid bash -c 'echo 19 > /proc/self/autogroup 2>/dev/null; nice -n 19 "$0" -s -k --no-print-directory lint; echo $? > "$1"' "$MAKE" "$LINT_STATUS" &
lint_pid=$!
trap 'kill -- -$lint_pid 2>/dev/null' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Should the tests end first (a machine busy with other work gives the lowest priority almost
# nothing), the lint gets normal priority back: its group's (allowed to anyone) and its processes'
# (renice may need privilege). Where neither is possible, it is stopped and run again.
raise_lint() {
  local group=1 procs=1
  if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ]; then
    echo 0 > "/proc/$lint_pid/autogroup" 2>/dev/null && group=0
  fi
  renice -n 0 -g "$lint_pid" >/dev/null 2>&1 && procs=0
  # Within a group of its own, its processes' nice value matters to none but each other.
  [ "$group" = 0 ] || [ "$procs" = 0 ]
}

# shellcheck disable=SC2086 # TYPE_CHECKS is a list of targets
if "$MAKE" -s --no-print-directory -j2 --output-sync=target $TYPE_CHECKS build; then
  npx vitest run --reporter=default --reporter=json --outputFile.json="$RESULTS"
  tests=$?
  node -e 'const r=require(process.argv[1]);console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "./$RESULTS" || tests=1
else
  tests=1
  echo "make test: a type check or the build failed (above); no test ran"
fi

if [ ! -s "$LINT_STATUS" ]; then
  if raise_lint; then
    echo "make test: the tests are done and the lint is not: it goes on at normal priority"
  else
    echo "make test: the tests are done and the lint is not: it runs again at normal priority"
    kill -- -"$lint_pid" 2>/dev/null
    wait "$lint_pid" 2>/dev/null
    "$MAKE" -s -k --no-print-directory lint
    echo $? > "$LINT_STATUS"
  fi
fi
wait
lint=$(cat "$LINT_STATUS")
if [ "$lint" != 0 ]; then echo "make test: the lint found problems (its report is above)"; else echo "lint (prettier, eslint): no problems"; fi
[ "$tests" = 0 ] && [ "$lint" = 0 ]
