#!/usr/bin/env bash
# Cold start, side by side: the outbound-auth tutorial's Python agent (BedrockAgentCoreApp +
# Strands + LiteLLM + @requires_api_key, bench/coldstart_agent.py) and the Rust example
# (examples/openai-weather-agent, `--profile dist`: the deployable build), N fresh processes each, against one
# `agentcore-identity-local` (release build) and one OpenAI-compatible stand-in
# (bench/model_stand_in.py, loopback) that answers only the key stored in the vault.
#
#   bench/coldstart.sh            # N=5 fresh processes per side
#   N=10 bench/coldstart.sh
#   SIDES=rust bench/coldstart.sh # only the Rust example (no Python install)
#
# Run by hand (not by CI). Needs python3 (with venv) and PyPI for the first run: it installs
# bedrock-agentcore==1.25.0, strands-agents, strands-agents-tools and litellm (versions pinned
# below) into bench/.venv-coldstart (or $COLDSTART_VENV). Prints the Markdown table of
# bench/README.md ("Cold start") and keeps the raw JSON lines in $OUT (default a temp file).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${N:-5}
SIDES=${SIDES:-python rust}
VENV=${COLDSTART_VENV:-$ROOT/bench/.venv-coldstart}
PY_PACKAGES=(bedrock-agentcore==1.25.0 strands-agents==1.62.0 strands-agents-tools==0.8.10 litellm==1.110.2)

if [ -z "${AGENT_BIN:-}" ] || [ -z "${SERVICE_BIN:-}" ]; then
  echo "==> building openai-weather-agent (dist profile) and agentcore-identity-local (release)" >&2
  # two builds, so each binary gets its own feature set (as `cargo build -p` for one crate would)
  cargo build --profile dist -q -p openai-weather-agent
  cargo build --release -q -p agentcore-identity-local
fi
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# AGENT_BIN=... SERVICE_BIN=...: measure other builds (e.g. a copy of an earlier one); no build then.
AGENT_BIN=${AGENT_BIN:-$TARGET_DIR/dist/openai-weather-agent}
SERVICE_BIN=${SERVICE_BIN:-$TARGET_DIR/release/agentcore-identity-local}
ls -l "$AGENT_BIN" | awk '{printf "    openai-weather-agent: %.1f MiB\n", $5/1048576}' >&2

if ! "$VENV/bin/python" - "${PY_PACKAGES[@]}" <<'EOF' 2>/dev/null; then
import importlib.metadata as m, sys
for spec in sys.argv[1:]:
    name, version = spec.split("==")
    if m.version(name) != version:
        sys.exit(1)
EOF
  echo "==> installing ${PY_PACKAGES[*]} into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
fi

TMP=$(mktemp -d)
MODEL_PID=
SERVICE_PID=
cleanup() {
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true
  [ -n "$MODEL_PID" ] && kill "$MODEL_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# The model key lives only in the vault (and in the stand-in, which must recognise it).
python3 -c 'import secrets; print("sk-coldstart-" + secrets.token_hex(16))' >"$TMP/model.key"
chmod 600 "$TMP/model.key"

echo "==> starting the model stand-in" >&2
MODEL_KEY_FILE=$TMP/model.key python3 bench/model_stand_in.py >"$TMP/model.out" 2>"$TMP/model.err" &
MODEL_PID=$!
for _ in $(seq 1 100); do
  grep -q '^MODEL_LISTENING ' "$TMP/model.out" 2>/dev/null && break
  sleep 0.05
done
MODEL_URL=$(sed -n 's/^MODEL_LISTENING //p' "$TMP/model.out")
[ -n "$MODEL_URL" ] || { cat "$TMP/model.err" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ENDPOINT=http://127.0.0.1:$PORT
echo "==> starting agentcore-identity-local on $ENDPOINT" >&2
"$SERVICE_BIN" serve --port "$PORT" --data-dir "$TMP/data" >"$TMP/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 300); do
  curl -fsS "$ENDPOINT/health" >/dev/null 2>&1 && break
  kill -0 "$SERVICE_PID" 2>/dev/null || { cat "$TMP/service.log" >&2; exit 1; }
  sleep 0.05
done

# Dummy AWS credentials, no AWS configuration files (HOME is each run's empty working directory).
export AWS_ACCESS_KEY_ID=AKIDCOLDSTART AWS_SECRET_ACCESS_KEY=coldstart-secret-access-key AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL DOCKER_CONTAINER OPENAI_API_KEY || true
export AWS_EC2_METADATA_DISABLED=true
# Both SDKs pointed at the local service (the Python SDK's variables and the standard ones).
export BEDROCK_AGENTCORE_DP_ENDPOINT=$ENDPOINT BEDROCK_AGENTCORE_CP_ENDPOINT=$ENDPOINT
export AWS_ENDPOINT_URL_BEDROCK_AGENTCORE=$ENDPOINT AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL=$ENDPOINT

echo "==> API key credential provider, workload identity, workload access token" >&2
"$VENV/bin/python" bench/coldstart.py setup "$ENDPOINT" "$TMP/model.key" >"$TMP/wat"
chmod 600 "$TMP/wat"

OUT=${OUT:-$TMP/results.jsonl}
: >"$OUT"
for side in $SIDES; do
  echo "==> $side: $N fresh processes" >&2
  case $side in
    python)
      # LiteLLM would fetch its model price list from the internet at import; use the bundled one.
      env BENCH_MODEL_URL="$MODEL_URL" LITELLM_LOCAL_MODEL_COST_MAP=True PYTHONUNBUFFERED=1 \
        python3 bench/coldstart.py measure --name python --n "$N" --wat-file "$TMP/wat" --port-arg env \
        ${KEEP:+--keep} -- "$VENV/bin/python" "$ROOT/bench/coldstart_agent.py" >>"$OUT"
      ;;
    rust)
      # The tutorial's model on Azure OpenAI's request shape, as the Python agent uses it.
      env OPENAI_PROVIDER=azure AZURE_OPENAI_ENDPOINT="$MODEL_URL" AZURE_OPENAI_API_VERSION=2024-10-21 \
        AZURE_OPENAI_DEPLOYMENT=gpt-4.1-mini \
        python3 bench/coldstart.py measure --name rust --n "$N" --stream --wat-file "$TMP/wat" --port-arg address \
        ${KEEP:+--keep} -- "$AGENT_BIN" serve >>"$OUT"
      ;;
  esac
done
echo "==> model stand-in: $(curl -fsS "${MODEL_URL}/health") (requests answered / rejected)" >&2
python3 bench/coldstart.py table "$OUT"
