"""The Python half of bench/side-by-side.sh: the same work as the Rust `side-by-side` binary,
through the official `bedrock-agentcore` SDK's decorators (pinned 1.25.0).

    python side_by_side.py PHASE N

PHASE: local_dev_api_key | ctx_api_key | ctx_m2m | concurrent | fresh_wat. Endpoints come from
BEDROCK_AGENTCORE_DP_ENDPOINT / BEDROCK_AGENTCORE_CP_ENDPOINT, region from AWS_REGION, credentials
from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Prints one JSON object (same keys as the Rust side).
"""

import asyncio
import contextlib
import io
import json
import math
import resource
import sys
import time

from bedrock_agentcore.identity.auth import requires_access_token, requires_api_key
from bedrock_agentcore.runtime.context import BedrockAgentCoreContext
from bedrock_agentcore.services.identity import IdentityClient

WORKLOAD = "bench-agent"


@requires_api_key(provider_name="bench-apikey")
async def call_with_api_key(*, api_key: str) -> int:
    return len(api_key)


@requires_api_key(provider_name="bench-apikey-concurrent")
async def call_with_api_key_concurrent(*, api_key: str) -> int:
    return len(api_key)


@requires_access_token(provider_name="bench-m2m", scopes=["read"], auth_flow="M2M")
async def call_with_m2m_token(*, access_token: str) -> int:
    return len(access_token)


def percentile(sorted_ns, p):
    if not sorted_ns:
        return 0
    rank = math.ceil(p / 100.0 * len(sorted_ns))
    return sorted_ns[min(max(rank, 1), len(sorted_ns)) - 1]


async def sequential(n, f):
    out = []
    for _ in range(n):
        t = time.perf_counter_ns()
        # local development mode prints to stdout on every call; keep our stdout for the JSON
        with contextlib.redirect_stdout(io.StringIO()):
            length = await f()
        out.append(time.perf_counter_ns() - t)
        assert length > 0
    return out


async def timed(f):
    t = time.perf_counter_ns()
    length = await f()
    assert length > 0
    return time.perf_counter_ns() - t


def set_context_token():
    import os

    client = IdentityClient(os.environ["AWS_REGION"])
    resp = client.dp_client.get_workload_access_token_for_user_id(
        workloadName=WORKLOAD, userId="bench-user-python"
    )
    BedrockAgentCoreContext.set_workload_access_token(resp["workloadAccessToken"])


async def fresh_wat(n):
    """N invocations, each with a fresh workload access token in the context (minting untimed)."""
    import os

    client = IdentityClient(os.environ["AWS_REGION"])
    out = []
    for i in range(n):
        resp = client.dp_client.get_workload_access_token_for_user_id(
            workloadName=WORKLOAD, userId=f"bench-user-{i}"
        )
        BedrockAgentCoreContext.set_workload_access_token(resp["workloadAccessToken"])
        out.append(await timed(call_with_api_key))
    return out


async def main(phase, n):
    if phase not in ("local_dev_api_key", "fresh_wat"):
        set_context_token()
    started = time.perf_counter_ns()
    if phase == "fresh_wat":
        calls = await fresh_wat(n)
    elif phase == "local_dev_api_key":
        calls = await sequential(n, call_with_api_key)
    elif phase == "ctx_api_key":
        calls = await sequential(n, call_with_api_key)
    elif phase == "ctx_m2m":
        calls = await sequential(n, call_with_m2m_token)
    elif phase == "concurrent":
        calls = list(await asyncio.gather(*(timed(call_with_api_key_concurrent) for _ in range(n))))
    else:
        raise SystemExit(f"unknown phase {phase}")
    wall = time.perf_counter_ns() - started
    first = calls[0]
    s = sorted(calls)
    print(
        json.dumps(
            {
                "side": "python",
                "phase": phase,
                "n": len(s),
                "first_us": first / 1e3,
                "median_us": percentile(s, 50) / 1e3,
                "p99_us": percentile(s, 99) / 1e3,
                "mean_us": sum(s) / len(s) / 1e3,
                "max_us": s[-1] / 1e3,
                "wall_ms": wall / 1e6,
                # Linux: KiB
                "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
