#!/usr/bin/env bash
# A check against real AWS that you run by hand (never by CI): the quickstart's flow on the real
# AgentCore Identity service in your account, with unique names, removing what it created.
#
#   scripts/aws-smoke.sh                    # region from AWS_REGION / the profile, else us-west-2
#   AWS_PROFILE=dev AWS_REGION=us-east-1 scripts/aws-smoke.sh
#
# Without AWS credentials it says so and exits 0. It refuses to run with an endpoint override
# (AWS_ENDPOINT_URL*, BEDROCK_AGENTCORE_*_ENDPOINT) set: that would be the local service, which
# the rest of the tests already cover. What it does and the permissions it needs:
# agentcore-identity/examples/aws_smoke.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run -q -p agentcore-identity --example aws_smoke "$@"
