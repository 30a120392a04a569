#!/usr/bin/env bash
# Run Cliquet 3.1.5's own test suite against this checkout (the oracle of
# faithfulness, ../shared/conformance/cliquet_suite) and compare its count of
# passed tests with the floor recorded in .ci/conformance-floor.
#
# Fails (exit 1) only when the count drops below the floor. A harness error
# (the suite cannot be found or downloaded, pytest cannot run it) is reported
# and does not count as a drop. It resets PostgreSQL `testdb` and Redis db 0:
# never run it beside another test run using them (`make tests` runs it after
# its own tests).
set -uo pipefail
cd "$(dirname "$0")/.."

SUITE=${CLIQUET_SUITE:-../shared/conformance/cliquet_suite}
FLOOR=$(tr -d '[:space:]' < .ci/conformance-floor)

if [ ! -x "$SUITE" ]; then
  echo "conformance: harness not found ($SUITE): not measured"
  exit 0
fi

output=$("$SUITE" "$@" 2>&1)
status=$?
echo "$output" | grep -v '^\[cliquet-suite\]' | tail -n 45
summary=$(echo "$output" | grep '^cliquet-suite:' | tail -n 1)
passed=$(echo "$summary" | sed -n 's/^cliquet-suite: \([0-9]*\) passed.*/\1/p')

if [ "$status" -ne 0 ] || [ -z "$passed" ]; then
  echo "conformance: harness error (exit $status): ${summary:-no summary}; not counted as a drop"
  exit 0
fi
if [ $# -gt 0 ]; then
  echo "conformance: $passed passed (a selection: not compared with the floor)"
  exit 0
fi
if [ "$passed" -lt "$FLOOR" ]; then
  echo "conformance: FAILED: $passed passed, below the floor of $FLOOR (.ci/conformance-floor)"
  exit 1
fi
echo "conformance: $passed passed (floor $FLOOR)"
if [ "$passed" -gt "$FLOOR" ]; then
  echo "conformance: raise the floor: echo $passed > .ci/conformance-floor"
fi
