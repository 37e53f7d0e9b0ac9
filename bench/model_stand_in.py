"""An OpenAI-compatible chat-completions stand-in for bench/coldstart.sh (loopback only, stdlib only).

It answers only the key the bench stored in the vault: `Authorization: Bearer <key>` (OpenAI) or
`api-key: <key>` (Azure OpenAI), the key read from the file named by MODEL_KEY_FILE. Anything else
gets OpenAI's 401. It speaks both request shapes (`POST .../chat/completions` under any prefix, so
`/v1/chat/completions` and Azure's `/openai/deployments/<d>/chat/completions?api-version=...`),
and answers as JSON or, when the request says `"stream": true`, as server-sent events in OpenAI's
chunk format.

The conversation is scripted as the tutorial's weather question plays out: while no tool result is
in the conversation it asks for the `weather` tool; once one is, it answers with FINAL_TEXT.

    python3 model_stand_in.py            # prints "MODEL_LISTENING http://127.0.0.1:<port>"

Env: MODEL_KEY_FILE (required), MODEL_PORT (default 0: any free port).
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FINAL_TEXT = "The weather is sunny."
KEY = open(os.environ["MODEL_KEY_FILE"], encoding="utf-8").read().strip()
COUNTS = {"ok": 0, "rejected": 0}
LOCK = threading.Lock()


def has_tool_result(messages):
    """Whether a tool result follows the last user message (the current turn has its answer)."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    return any(m.get("role") == "tool" for m in messages[last_user + 1:])


def completion(stream_id, message, finish):
    return {
        "id": stream_id,
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55},
    }


def chunks(stream_id, tool_turn):
    """The streamed form of the same answer: OpenAI `chat.completion.chunk` objects."""
    base = {"id": stream_id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "gpt-4.1-mini"}
    if tool_turn:
        deltas = [
            ({"role": "assistant", "content": None, "tool_calls": [{"index": 0, "id": "call_weather_1", "type": "function",
                                                                   "function": {"name": "weather", "arguments": ""}}]}, None),
            ({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}, None),
            ({}, "tool_calls"),
        ]
    else:
        words = FINAL_TEXT.split(" ")
        deltas = [({"role": "assistant", "content": ""}, None)]
        deltas += [({"content": (w if i == 0 else " " + w)}, None) for i, w in enumerate(words)]
        deltas += [({}, "stop")]
    for delta, finish in deltas:
        yield dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish}])
    yield dict(base, choices=[], usage={"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Answers go out in one write with TCP_NODELAY: no Nagle / delayed-ACK stall (40 ms) between
    # the head and the body, which would otherwise dominate every model call.
    disable_nagle_algorithm = True

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self._headers_buffer.append(b"\r\n")
        self.wfile.write(b"".join(self._headers_buffer) + data)
        self._headers_buffer = []

    def do_GET(self):
        if self.path == "/health":
            with LOCK:
                self._send(200, json.dumps(COUNTS))
        else:
            self._send(404, "{}")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.path.split("?")[0].endswith("/chat/completions"):
            self._send(404, json.dumps({"error": {"message": "not found"}}))
            return
        auth = self.headers.get("Authorization") or ""
        given = auth[len("Bearer "):] if auth.startswith("Bearer ") else self.headers.get("api-key")
        if given != KEY:
            with LOCK:
                COUNTS["rejected"] += 1
            self._send(401, json.dumps({"error": {"message": "Incorrect API key provided.",
                                                  "type": "invalid_request_error", "param": None,
                                                  "code": "invalid_api_key"}}))
            return
        with LOCK:
            COUNTS["ok"] += 1
        body = json.loads(raw or b"{}")
        tool_turn = not has_tool_result(body.get("messages", []))
        stream_id = "chatcmpl-bench-%d" % COUNTS["ok"]
        if body.get("stream"):
            out = "".join("data: %s\n\n" % json.dumps(c) for c in chunks(stream_id, tool_turn)) + "data: [DONE]\n\n"
            self._send(200, out, "text/event-stream")
        elif tool_turn:
            message = {"role": "assistant", "content": None,
                       "tool_calls": [{"id": "call_weather_1", "type": "function",
                                       "function": {"name": "weather", "arguments": "{}"}}]}
            self._send(200, json.dumps(completion(stream_id, message, "tool_calls")))
        else:
            self._send(200, json.dumps(completion(stream_id, {"role": "assistant", "content": FINAL_TEXT}, "stop")))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("MODEL_PORT", "0"))), Handler)
    server.daemon_threads = True
    print("MODEL_LISTENING http://127.0.0.1:%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
