#!/usr/bin/env python3
"""A fake vLLM OpenAI API server for v4check's api check tests.

Listens on 127.0.0.1 only. Prints "PORT <n>" on stdout once it listens
(port 0 picks a free one). Routes: /health, /v1/models and
/v1/chat/completions (Bearer key, 401 {"error":"Unauthorized"} as vLLM),
/metrics (old or new vLLM metric names). Faults are flags.

usage: fakevllm.py PORT [--key KEY | --key-file FILE] [--model NAME]
       [--engines N] [--old-names] [--token-ms MS] [--hang-headers]
       [--error500] [--hang-completions] [--health-status CODE]
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
STOP = threading.Event()


def metrics_text(engines, old):
    """Prometheus text with one series per engine, in either name generation."""
    kv = "vllm:gpu_cache_usage_perc" if old else "vllm:kv_cache_usage_perc"
    hits = "vllm:gpu_prefix_cache_hits" if old else "vllm:prefix_cache_hits"
    queries = "vllm:gpu_prefix_cache_queries" if old else "vllm:prefix_cache_queries"
    fams = [
        ("vllm:num_requests_running", "gauge", lambda e: 1.0),
        ("vllm:num_requests_waiting", "gauge", lambda e: float(e)),
        (kv, "gauge", lambda e: 0.1 * (e + 1)),
        (queries + "_total", "counter", lambda e: 1000.0),
        (hits + "_total", "counter", lambda e: 250.0),
        ("vllm:num_preemptions_total", "counter", lambda e: 0.0),
    ]
    out = []
    for name, typ, val in fams:
        base = name[:-6] if typ == "counter" else name
        out.append("# HELP %s fake %s\n# TYPE %s %s\n" % (base, base, base, typ))
        for e in range(engines):
            out.append('%s{engine="%d",model_name="%s"} %s\n' % (name, e, ARGS.model, val(e)))
    return "".join(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):  # quiet
        pass

    def send(self, code, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def hang(self):
        """Headers sent, body never comes."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.flush()
        STOP.wait(600)

    def authorised(self):
        if not ARGS.key:
            return True
        if self.headers.get("Authorization") == "Bearer " + ARGS.key:
            return True
        self.send(401, '{"error":"Unauthorized"}')
        return False

    def do_GET(self):
        if ARGS.hang_headers:
            return self.hang()
        if self.path == "/health":
            return self.send(ARGS.health_status, "")
        if self.path == "/metrics":
            return self.send(200, metrics_text(ARGS.engines, ARGS.old_names),
                             "text/plain; version=0.0.4")
        if self.path == "/v1/models":
            if not self.authorised():
                return None
            return self.send(200, json.dumps({"object": "list", "data": [
                {"id": ARGS.model, "object": "model", "owned_by": "vllm"}]}))
        return self.send(404, '{"detail":"Not Found"}')

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        if ARGS.hang_headers:
            return self.hang()
        if self.path != "/v1/chat/completions":
            return self.send(404, '{"detail":"Not Found"}')
        if not self.authorised():
            return None
        if ARGS.error500:
            return self.send(500, '{"error":"Internal Server Error"}')
        if ARGS.hang_completions:
            STOP.wait(600)
            return None
        if body.get("stream"):
            return self.stream(int(body.get("max_tokens") or 16))
        return self.send(200, json.dumps({
            "id": "chatcmpl-1", "object": "chat.completion", "model": ARGS.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"},
                         "finish_reason": "length"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}))

    def chunk(self, obj):
        data = ("data: %s\n\n" % (obj if isinstance(obj, str) else json.dumps(obj))).encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def stream(self, tokens):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pace = ARGS.token_ms / 1000.0
        base = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "model": ARGS.model}
        self.chunk(dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}}]))
        time.sleep(ARGS.ttft_ms / 1000.0)
        for i in range(tokens):
            if i:
                time.sleep(pace)
            self.chunk(dict(base, choices=[{"index": 0, "delta": {"content": " %d" % (i + 1)}}]))
        self.chunk(dict(base, choices=[], usage={"prompt_tokens": 9, "completion_tokens": tokens,
                                                 "total_tokens": 9 + tokens}))
        self.chunk("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--key")
    p.add_argument("--key-file")
    p.add_argument("--model", default="ds-v4")
    p.add_argument("--engines", type=int, default=4)
    p.add_argument("--old-names", action="store_true")
    p.add_argument("--token-ms", type=float, default=20)
    p.add_argument("--ttft-ms", type=float, default=50)
    p.add_argument("--hang-headers", action="store_true")
    p.add_argument("--error500", action="store_true")
    p.add_argument("--hang-completions", action="store_true")
    p.add_argument("--health-status", type=int, default=200)
    ARGS = p.parse_args()
    if ARGS.key_file:
        with open(ARGS.key_file) as f:
            ARGS.key = f.read().strip()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    STOP.set()


if __name__ == "__main__":
    sys.exit(main())
