#!/usr/bin/env bash
# Run one faultline experiment as a CI gate.
#
#   ci-gate.sh EXPERIMENT_FILE [OUT_DIR]
#
# OUT_DIR (default faultline-out) receives run/ (the run directory),
# junit.xml and summary.md. The summary is also appended to
# $GITHUB_STEP_SUMMARY when GitHub Actions sets it. The script exits with
# faultline's exit code: 0 passes the gate, anything else fails it.
#
# FAULTLINE: the faultline binary (default: faultline on PATH).
# FAIL_ON:   refuted (default) or inconclusive.
set -u

experiment=${1:?usage: ci-gate.sh EXPERIMENT_FILE [OUT_DIR]}
out=${2:-faultline-out}
fail_on=${FAIL_ON:-refuted}
mkdir -p "$out" || exit 4

"${FAULTLINE:-faultline}" run "$experiment" \
  --run-dir "$out/run" \
  --junit "$out/junit.xml" \
  --summary "$out/summary.md" \
  --fail-on "$fail_on"
code=$?

if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/summary.md" ]; then
  cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi

case $code in
  0) echo "faultline gate: passed (--fail-on $fail_on)" ;;
  1) echo "faultline gate: failed: a hypothesis was refuted (see $out/junit.xml)" ;;
  2) echo "faultline gate: failed: invalid experiment file or command line" ;;
  3) echo "faultline gate: failed: the run did not finish, an abort limit reverted a fault, or a hypothesis was inconclusive with --fail-on inconclusive" ;;
  *) echo "faultline gate: failed: runtime error (exit $code); see $out/run/logs/" ;;
esac >&2
exit "$code"
