#!/usr/bin/env bash
# The official Python clients against agentcore-identity-local, beyond what side-by-side.sh covers:
# boto3's STS GetWebIdentityToken (tokens verified with PyJWT against the service's own JWKS), the
# Python SDK's @requires_iam_access_token, tags and the token vault (bench/python_clients.py).
#
#   bench/python-clients.sh                 # all checks
#   bench/python-clients.sh sts sdk         # some of them (sts, sdk, control)
#
# Run by hand (not by CI): it needs PyPI the first time, to install bedrock-agentcore==1.25.0 (and
# with it boto3) and PyJWT with its crypto extra into bench/.venv (side-by-side.sh's environment).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${BENCH_VENV:-$ROOT/bench/.venv}

if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys, jwt, cryptography; sys.exit(m.version('bedrock-agentcore') != '1.25.0')" 2>/dev/null; then
  echo "==> installing bedrock-agentcore==1.25.0 and pyjwt[crypto] into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "bedrock-agentcore==1.25.0" "pyjwt[crypto]==2.10.1"
fi

if [ -z "${SERVICE_BIN:-}" ]; then  # SERVICE_BIN=...: another build of the service, no cargo build
  echo "==> building agentcore-identity-local" >&2
  cargo build -q -p agentcore-identity-local --bin agentcore-identity-local
  TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  SERVICE_BIN=$TARGET_DIR/debug/agentcore-identity-local
fi

TMP=$(mktemp -d)
SERVICE_PID=
cleanup() {
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ENDPOINT=http://127.0.0.1:$PORT
"$SERVICE_BIN" serve --port "$PORT" --data-dir "$TMP/data" >"$TMP/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 300); do
  curl -fsS "$ENDPOINT/health" >/dev/null 2>&1 && break
  sleep 0.05
done

export AWS_ACCESS_KEY_ID=AKIDPYCLIENTS AWS_SECRET_ACCESS_KEY=py-clients-secret AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL || true
export AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL_STS=$ENDPOINT
export AWS_ENDPOINT_URL_BEDROCK_AGENTCORE=$ENDPOINT AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL=$ENDPOINT
if ! "$VENV/bin/python" bench/python_clients.py "$@"; then
  echo "---- service log" >&2
  tail -n 40 "$TMP/service.log" >&2
  exit 1
fi
