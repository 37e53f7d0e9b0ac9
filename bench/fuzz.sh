#!/usr/bin/env bash
# Fuzzes agentcore-identity-local's request decoding and validation (fuzz/fuzz_targets/decode.rs,
# through agentcore_identity_local::fuzz_hook) for a bounded time, then reports executions and
# findings.
#
#   bench/fuzz.sh            # 60 s
#   bench/fuzz.sh 600        # 10 min
#
# Needs cargo-fuzz (installed from crates.io if missing) and nightly features: uses the nightly
# toolchain when rustup has one, else the stable one with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-${FUZZ_SECS:-60}}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "==> cargo install cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  TOOLCHAIN=(+nightly)
else
  TOOLCHAIN=()
  export RUSTC_BOOTSTRAP=1
fi

python3 bench/fuzz_seeds.py fuzz/corpus/decode >&2
mkdir -p fuzz/artifacts/decode
before=$(find fuzz/artifacts/decode -type f | wc -l)
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
echo "==> cargo ${TOOLCHAIN[*]} fuzz run decode (${SECS}s)" >&2
set +e
cargo "${TOOLCHAIN[@]}" fuzz run decode --fuzz-dir fuzz -- \
  -max_total_time="$SECS" -dict=fuzz/decode.dict -max_len=16384 -timeout=10 \
  -print_final_stats=1 2>&1 | tee "$LOG" | { grep -E '^(#[0-9]+.*(pulse|DONE)|Done|==[0-9]+==|SUMMARY|stat::|thread .* panicked)' || true; } >&2
status=${PIPESTATUS[0]}
set -e
after=$(find fuzz/artifacts/decode -type f | wc -l)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -1 || true)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOG" | tail -1 || true)
cov=$({ grep -oE '^#[0-9]+[[:space:]]+DONE[[:space:]]+cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$LOG" || true; } |
  tail -1 | sed -E 's/^#[0-9]+[[:space:]]+DONE[[:space:]]+//')
echo
echo "fuzz target decode: ${SECS}s, ${execs:-?} executions (${rate:-?}/s), ${cov:-coverage n/a}, $((after - before)) new findings (fuzz/artifacts/decode), exit status $status"
exit "$status"
