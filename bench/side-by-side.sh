#!/usr/bin/env bash
# Side by side with the Python SDK: the same decorated calls through the official Python
# `bedrock-agentcore` SDK (1.25.0, from PyPI, in a virtual environment) and through this
# workspace's `#[requires_api_key]` / `#[requires_access_token]` (bench/side-by-side), against one
# `agentcore-identity-local` service (release build) and the test OpenID provider (testkit/idp).
#
#   bench/side-by-side.sh            # N=200 sequential calls per phase, 100 concurrent calls
#   N=1000 CONCURRENT=100 bench/side-by-side.sh
#
# Run by hand (not by CI). Needs python3 (with venv), node + npm, and access to PyPI / npm.
# Service requests are counted at the service: it runs with RUST_LOG=agentcore_identity_local::http=debug
# and logs one line per request it receives; the script counts those lines around each run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${N:-200}
CONCURRENT=${CONCURRENT:-100}
VENV=${BENCH_VENV:-$ROOT/bench/.venv}
PY_SDK_VERSION=1.25.0
# The test IdP's fixed M2M client (testkit/idp/idp.mjs, testkit/src/lib.rs).
M2M_CLIENT_ID=testkit-m2m
M2M_CLIENT_SECRET=testkit-m2m-secret

echo "==> building agentcore-identity-local and side-by-side (release)" >&2
# two builds, so each crate gets its own feature set (as `cargo build -p` for one crate would)
cargo build --release -q -p agentcore-identity-local
cargo build --release -q -p side-by-side
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
SERVICE_BIN=$TARGET_DIR/release/agentcore-identity-local
BENCH_BIN=$TARGET_DIR/release/side-by-side

if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('bedrock-agentcore') != '$PY_SDK_VERSION')" 2>/dev/null; then
  echo "==> installing bedrock-agentcore==$PY_SDK_VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "bedrock-agentcore==$PY_SDK_VERSION"
fi
if [ ! -d testkit/idp/node_modules/oidc-provider ]; then
  echo "==> installing the test OpenID provider (npm ci)" >&2
  npm ci --prefix testkit/idp --no-audit --no-fund --loglevel=error
fi

TMP=$(mktemp -d)
IDP_PID=
SERVICE_PID=
cleanup() {
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true
  [ -n "$IDP_PID" ] && kill "$IDP_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

echo "==> starting the test OpenID provider" >&2
(cd testkit/idp && PORT=0 exec node idp.mjs >"$TMP/idp.out" 2>"$TMP/idp.err") &
IDP_PID=$!
for _ in $(seq 1 300); do
  grep -q '^IDP_LISTENING ' "$TMP/idp.out" 2>/dev/null && break
  kill -0 "$IDP_PID" 2>/dev/null || { cat "$TMP/idp.err" >&2; exit 1; }
  sleep 0.1
done
ISSUER=$(sed -n 's/^IDP_LISTENING //p' "$TMP/idp.out" | head -1)
[ -n "$ISSUER" ] || { echo "the IdP did not start" >&2; cat "$TMP/idp.err" >&2; exit 1; }
DISCOVERY_URL="$ISSUER/.well-known/openid-configuration"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ENDPOINT=http://127.0.0.1:$PORT
echo "==> starting agentcore-identity-local on $ENDPOINT" >&2
RUST_LOG=info,agentcore_identity_local::http=debug NO_COLOR=1 \
  "$SERVICE_BIN" serve --port "$PORT" --data-dir "$TMP/data" >"$TMP/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 300); do
  curl -fsS "$ENDPOINT/health" >/dev/null 2>&1 && break
  kill -0 "$SERVICE_PID" 2>/dev/null || { cat "$TMP/service.log" >&2; exit 1; }
  sleep 0.1
done

# Dummy credentials and region for both sides; each side is pointed at the service its own way.
export AWS_ACCESS_KEY_ID=AKIDBENCHMARK AWS_SECRET_ACCESS_KEY=bench-secret-access-key AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL || true
export AWS_EC2_METADATA_DISABLED=true
RUST_ENV=(AWS_ENDPOINT_URL_BEDROCK_AGENTCORE="$ENDPOINT" AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL="$ENDPOINT")
PY_ENV=(BEDROCK_AGENTCORE_DP_ENDPOINT="$ENDPOINT" BEDROCK_AGENTCORE_CP_ENDPOINT="$ENDPOINT")

env "${RUST_ENV[@]}" "$BENCH_BIN" setup --discovery-url "$DISCOVERY_URL" \
  --client-id "$M2M_CLIENT_ID" --client-secret "$M2M_CLIENT_SECRET" >&2

# Requests the service has logged so far, by operation ("operation=Name" on its debug lines).
count_requests() {
  grep -o 'operation="\?[A-Za-z0-9]*' "$TMP/service.log" | sed 's/operation="\?//' | sort | uniq -c |
    awk '{printf "%s%s:%s", sep, $2, $1; sep=","}'
}

RESULTS=$TMP/results.jsonl
run_one() { # side phase n
  local side=$1 phase=$2 n=$3 wd before after out
  wd=$(mktemp -d "$TMP/wd.XXXX") # each run in its own working dir (.agentcore.json)
  before=$(count_requests)
  case $side in
    python) out=$(cd "$wd" && env "${PY_ENV[@]}" "$VENV/bin/python" "$ROOT/bench/side_by_side.py" "$phase" "$n" 2>"$wd/stderr") ;;
    rust) out=$(cd "$wd" && env "${RUST_ENV[@]}" "$BENCH_BIN" run --phase "${phase//_/-}" --n "$n" 2>"$wd/stderr") ;;
    rust-nocache) out=$(cd "$wd" && env "${RUST_ENV[@]}" "$BENCH_BIN" run --phase "${phase//_/-}" --n "$n" --no-cache 2>"$wd/stderr") ;;
    rust-workload) out=$(cd "$wd" && env "${RUST_ENV[@]}" "$BENCH_BIN" run --phase "${phase//_/-}" --n "$n" --workload-scope 2>"$wd/stderr") ;;
  esac || { echo "$side $phase failed:" >&2; cat "$wd/stderr" >&2; exit 1; }
  after=$(count_requests)
  python3 - "$out" "$before" "$after" >>"$RESULTS" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
parse = lambda s: {k: int(v) for k, v in (p.split(":") for p in s.split(",") if p)}
b, a = parse(sys.argv[2]), parse(sys.argv[3])
r["requests"] = {k: a[k] - b.get(k, 0) for k in a if a[k] - b.get(k, 0)}
print(json.dumps(r))
EOF
  echo "    $side $phase done" >&2
}

echo "==> running (N=$N sequential, $CONCURRENT concurrent)" >&2
for side in python rust rust-nocache; do
  run_one "$side" local_dev_api_key "$N"
  run_one "$side" ctx_api_key "$N"
  run_one "$side" ctx_m2m "$N"
  run_one "$side" concurrent "$CONCURRENT"
done
# 100 invocations, a fresh workload access token each (AgentCore Runtime): per token vs per workload.
INVOCATIONS=${INVOCATIONS:-100}
for side in python rust rust-workload; do
  run_one "$side" fresh_wat "$INVOCATIONS"
done

python3 - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["side"], r["phase"]): r for r in rows}
# The context phases fetch the workload access token once before timing starts (1 request).
SETUP = {"local_dev_api_key": 0, "ctx_api_key": 1, "ctx_m2m": 1, "concurrent": 1}
def per_call(r):
    return (sum(r["requests"].values()) - SETUP[r["phase"]]) / r["n"]
def fmt_us(v):
    return f"{v/1000:.2f} ms" if v >= 1000 else f"{v:.2f} µs"
print(f"| phase | side | n | first call | median | p99 | wall | service requests per call | requests (by operation) | peak RSS |")
print(f"|---|---|---|---|---|---|---|---|---|---|")
for phase in ["local_dev_api_key", "ctx_api_key", "ctx_m2m", "concurrent"]:
    for side in ["python", "rust", "rust-nocache"]:
        r = by[(side, phase)]
        ops = ", ".join(f"{k} {v}" for k, v in sorted(r["requests"].items()))
        print(f"| {phase} | {side} | {r['n']} | {fmt_us(r['first_us'])} | {fmt_us(r['median_us'])} | {fmt_us(r['p99_us'])} "
              f"| {r['wall_ms']:.1f} ms | {per_call(r):.3f} | {ops} | {r['peak_rss_kib']/1024:.1f} MiB |")
print()
print()
print("100 invocations, a fresh workload access token each (minting not counted):")
print()
print("| side | GetResourceApiKey requests | median call | p99 call | peak RSS |")
print("|---|---|---|---|---|")
for side in ["python", "rust", "rust-workload"]:
    r = by[(side, "fresh_wat")]
    print(f"| {side} | {r['requests'].get('GetResourceApiKey', 0)} | {fmt_us(r['median_us'])} | {fmt_us(r['p99_us'])} | {r['peak_rss_kib']/1024:.1f} MiB |")
print()
print("| phase | Python / Rust cached, median call | Python / Rust uncached, median call | Python / Rust uncached, p99 call | Python / Rust cached, wall | Python / Rust uncached, wall | Python / Rust, peak RSS |")
print("|---|---|---|---|---|---|---|")
for phase in ["local_dev_api_key", "ctx_api_key", "ctx_m2m", "concurrent"]:
    p, r, u = by[("python", phase)], by[("rust", phase)], by[("rust-nocache", phase)]
    print(f"| {phase} | {p['median_us']/r['median_us']:,.0f}x | {p['median_us']/u['median_us']:.1f}x | {p['p99_us']/u['p99_us']:.1f}x "
          f"| {p['wall_ms']/r['wall_ms']:,.1f}x | {p['wall_ms']/u['wall_ms']:.1f}x | {p['peak_rss_kib']/max(r['peak_rss_kib'], u['peak_rss_kib']):.1f}x |")
EOF
