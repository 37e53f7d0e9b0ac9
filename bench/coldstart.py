"""The measuring half of bench/coldstart.sh (stdlib only; `setup` needs boto3 from the venv).

    python coldstart.py setup ENDPOINT KEY_FILE          # provider + workload identity; prints a WAT
    python coldstart.py measure --name NAME --n N --port-arg STYLE -- COMMAND...
    python coldstart.py table RESULTS.jsonl              # the Markdown table

`measure` starts COMMAND N times, each a fresh process in a fresh working directory (HOME too), on
a free loopback port, and for each one records:

- ready: from just before `posix_spawn` to the first `GET /ping` answered 200 (polled every 0.2 ms;
  a refused connection is retried at once);
- first answer: from the same instant to the end of the first `POST /invocations` answer (the
  prompt "What is the weather now?" with the workload access token in `WorkloadAccessToken`: vault
  fetch, agent build, two model calls, the weather tool in between);
- warm: the median of WARM further invocations of the same process;
- stream (optional, --stream): one `"stream": true` invocation, checked to be server-sent events
  carrying the answer;
- peak RSS: `VmHWM` of the process from /proc, read after the invocations, before SIGTERM.

The process must exit by itself within 10 s of SIGTERM (else it is killed and the run fails).
Prints one JSON object per run, then one with the medians.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time

PROMPT = "What is the weather now?"
SESSION = "coldstart-session-0123456789-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None, timeout=30.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def invoke(port, wat, stream=False):
    payload = {"prompt": PROMPT}
    if stream:
        payload["stream"] = True
    return request(port, "POST", "/invocations", json.dumps(payload), {
        "Content-Type": "application/json",
        "WorkloadAccessToken": wat,
        "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": SESSION,
    })


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def one_run(args, wat, index):
    wd = tempfile.mkdtemp(prefix=f"coldstart-{args.name}-")
    port = free_port()
    argv = list(args.command)
    env = dict(os.environ, HOME=wd)
    if args.port_arg == "address":
        argv += ["--address", f"127.0.0.1:{port}"]
    else:  # env: the program reads its port from PORT
        env["PORT"] = str(port)
    out = open(os.path.join(wd, "stdout"), "wb")
    err = open(os.path.join(wd, "stderr"), "wb")
    actions = [
        (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
        (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
    ]
    os.chdir(wd)
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    ready = None
    deadline = time.monotonic() + 120
    while ready is None:
        try:
            status, _, _ = request(port, "GET", "/ping", timeout=5)
            if status == 200:
                ready = time.perf_counter_ns() - t0
                break
        except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
            pass
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            raise SystemExit(f"{args.name}: the process exited ({code}) before /ping:\n"
                             + open(os.path.join(wd, "stderr")).read()[-4000:])
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            raise SystemExit(f"{args.name}: no /ping after 120 s")
        time.sleep(0.0002)
    status, ctype, body = invoke(port, wat)
    first = time.perf_counter_ns() - t0
    if status != 200 or "sunny" not in body:
        os.kill(pid, signal.SIGKILL)
        raise SystemExit(f"{args.name}: first invocation answered {status} {ctype}: {body[:500]}\n"
                         + open(os.path.join(wd, "stderr")).read()[-4000:])
    warm = []
    for _ in range(args.warm):
        t = time.perf_counter_ns()
        status, _, body = invoke(port, wat)
        warm.append(time.perf_counter_ns() - t)
        if status != 200 or "sunny" not in body:
            raise SystemExit(f"{args.name}: warm invocation answered {status}: {body[:500]}")
    streamed = None
    if args.stream:
        t = time.perf_counter_ns()
        status, ctype, body = invoke(port, wat, stream=True)
        streamed = time.perf_counter_ns() - t
        if status != 200 or not ctype.startswith("text/event-stream") or "sunny" not in body:
            raise SystemExit(f"{args.name}: streamed invocation answered {status} {ctype}: {body[:500]}")
    rss = vm_hwm_kib(pid)
    os.kill(pid, signal.SIGTERM)
    stop_deadline = time.monotonic() + 10
    while True:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > stop_deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise SystemExit(f"{args.name}: still running 10 s after SIGTERM")
        time.sleep(0.005)
    os.chdir("/")
    if not args.keep:
        shutil.rmtree(wd, ignore_errors=True)
    return {
        "name": args.name, "run": index, "ready_ms": ready / 1e6, "first_ms": first / 1e6,
        "warm_ms": statistics.median(warm) / 1e6 if warm else None,
        "stream_ms": streamed / 1e6 if streamed is not None else None,
        "peak_rss_mib": rss / 1024, "workdir": wd if args.keep else None,
    }


def measure(args):
    wat = open(args.wat_file).read().strip()
    runs = [one_run(args, wat, i) for i in range(args.n)]
    for r in runs:
        print(json.dumps(r), flush=True)
    med = lambda k: statistics.median(r[k] for r in runs) if runs[0][k] is not None else None
    summary = {"name": args.name, "n": args.n, "summary": True}
    for k in ["ready_ms", "first_ms", "warm_ms", "stream_ms", "peak_rss_mib"]:
        summary[k] = med(k)
        summary[k.replace("_ms", "").replace("_mib", "") + "_all"] = [round(r[k], 2) if r[k] is not None else None for r in runs]
    print(json.dumps(summary), flush=True)


def setup(args):
    import boto3  # from the venv (bedrock-agentcore depends on it)

    key = open(args.key_file).read().strip()
    common = dict(region_name="us-east-1", endpoint_url=args.endpoint)
    cp = boto3.client("bedrock-agentcore-control", **common)
    dp = boto3.client("bedrock-agentcore", **common)
    cp.create_api_key_credential_provider(name="openai-apikey-provider", apiKey=key)
    cp.create_workload_identity(name="coldstart-agent")
    wat = dp.get_workload_access_token_for_user_id(workloadName="coldstart-agent", userId="userid_1234567890")
    print(wat["workloadAccessToken"])


def table(args):
    rows = [json.loads(l) for l in open(args.results) if l.strip()]
    by = {r["name"]: r for r in rows if r.get("summary")}
    names = [n for n in ["python", "rust"] if n in by] + [n for n in by if n not in ("python", "rust")]
    fmt_ms = lambda v: "n/a" if v is None else (f"{v:,.0f} ms" if v >= 100 else f"{v:.1f} ms" if v >= 1 else f"{v * 1000:.0f} µs")
    label = {"python": "tutorial's Python agent (BedrockAgentCoreApp + Strands + LiteLLM + @requires_api_key)",
             "rust": "Rust example (dist profile)"}
    print("| | " + " | ".join(label.get(n, n) for n in names) + " |")
    print("|---|" + "---|" * len(names))
    print("| exec -> first `/ping` 200 | " + " | ".join(fmt_ms(by[n]["ready_ms"]) for n in names) + " |")
    print("| exec -> first `/invocations` answer (vault fetch, agent build, 2 model calls) | "
          + " | ".join(fmt_ms(by[n]["first_ms"]) for n in names) + " |")
    print("| warm invocation (median) | " + " | ".join(fmt_ms(by[n]["warm_ms"]) for n in names) + " |")
    print("| peak RSS | " + " | ".join(f"{by[n]['peak_rss_mib']:.1f} MiB" for n in names) + " |")
    print()
    for n in names:
        r = by[n]
        print(f"- {n}, {r['n']} fresh processes: ready {r['ready_all']} ms; first answer {r['first_all']} ms; "
              f"warm {r['warm_all']} ms; peak RSS {r['peak_rss_all']} MiB"
              + (f"; streamed invocation {r['stream_all']} ms" if r.get("stream_ms") is not None else ""))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("endpoint")
    s.add_argument("key_file")
    m = sub.add_parser("measure")
    m.add_argument("--name", required=True)
    m.add_argument("--n", type=int, default=5)
    m.add_argument("--warm", type=int, default=5)
    m.add_argument("--stream", action="store_true")
    m.add_argument("--keep", action="store_true", help="keep each run's working directory (stdout, stderr)")
    m.add_argument("--wat-file", required=True)
    m.add_argument("--port-arg", choices=["address", "env"], required=True)
    m.add_argument("command", nargs=argparse.REMAINDER)
    t = sub.add_parser("table")
    t.add_argument("results")
    args = p.parse_args()
    if args.cmd == "measure":
        if args.command and args.command[0] == "--":
            args.command = args.command[1:]
        measure(args)
    elif args.cmd == "setup":
        setup(args)
    else:
        table(args)


if __name__ == "__main__":
    sys.exit(main())
