#!/usr/bin/env bash
# Soak: the load test of agentcore-identity/tests/reliability_load.rs (64 concurrent clients,
# creates/updates of API key credential providers with unique values and GetResourceApiKey
# reads, no error, no lost write) for 60 s instead of CI's 3 s, then the SIGKILL durability test
# of agentcore-identity-local/tests/reliability_crash.rs.
#
#   bench/soak.sh                  # 60 s, test profile (what `cargo test` builds)
#   bench/soak.sh 300              # 5 min
#   SOAK_RELEASE=1 bench/soak.sh   # optimised build (a separate, longer compile)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-${RELIABILITY_LOAD_SECS:-60}}
PROFILE=()
[ "${SOAK_RELEASE:-0}" = 1 ] && PROFILE=(--release)
echo "==> load: 64 clients for ${SECS}s ${PROFILE[*]:-(test profile)}" >&2
RELIABILITY_LOAD_SECS=$SECS cargo test "${PROFILE[@]}" -p agentcore-identity --test reliability_load -- --nocapture 2>&1 |
  grep -E '^(load:|test |thread|---- )|panicked|FAILED|test result'
echo "==> durability: SIGKILL during writes, 3 rounds" >&2
cargo test "${PROFILE[@]}" -p agentcore-identity-local --test reliability_crash -- --nocapture 2>&1 |
  grep -E '^(round|[0-9]+ acknowledged|test )|panicked|FAILED|test result'
