"""Client CPU per call: the project's ``clients/upstream.py`` vs urllib3's pool.

Both call the same local keep-alive HTTP/1.1 server (asyncio, in another
process, so its CPU is not counted) in alternating rounds of one run; the
figure is this process's CPU time (``time.process_time``) per call, so a
slower or busier server changes neither. Writes ``results/upstream.md``:

    python benchmarks/upstream_cpu.py [--calls 20000] [--rounds 5]

Needs urllib3 (the template's test requirements have it).
"""

import argparse
import importlib.util
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import urllib3

HERE = Path(__file__).resolve().parent
UPSTREAM = (
    HERE.parent
    / "{{cookiecutter.repo_name}}"
    / "{{cookiecutter.repo_name}}"
    / "clients"
    / "upstream.py"
)
BODY = b'{"prices": [1299, 450, 8800]}'

SERVER = f"""
import asyncio, sys
REPLY = (b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\n"
         b"Content-Length: {len(BODY)}\\r\\n\\r\\n" + {BODY!r})

async def handle(reader, writer):
    while await reader.readuntil(b"\\r\\n\\r\\n"):
        writer.write(REPLY)
        await writer.drain()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def load_upstream(path):
    spec = importlib.util.spec_from_file_location("upstream", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clients(base_url, upstream):
    project = upstream.Upstream(base_url, timeout=2.0)
    host, port = base_url.rsplit("/", 1)[1].split(":")
    pool = urllib3.HTTPConnectionPool(
        host, int(port), maxsize=1, retries=False, timeout=urllib3.Timeout(2.0)
    )

    def with_urllib3(path):
        response = pool.request("GET", path)
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status, headers, response.data

    return {
        "clients/upstream.py (http.client, one connection per thread)": project.get,
        "urllib3 HTTPConnectionPool (maxsize=1, retries=False)": with_urllib3,
    }


def cpu_per_call(call, calls):
    started = time.process_time()
    for _ in range(calls):
        call("/prices?ids=1,2,3")
    return (time.process_time() - started) / calls


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--upstream", type=Path, default=UPSTREAM)
    args = parser.parse_args(argv)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        base_url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        calls = clients(base_url, load_upstream(args.upstream))
        measured = {name: [] for name in calls}
        for call in calls.values():
            cpu_per_call(call, 500)  # warm up: connect, caches
        for _ in range(args.rounds):
            for name, call in calls.items():
                measured[name].append(cpu_per_call(call, args.calls))
    finally:
        server.terminate()
        server.wait()
    first = statistics.median(next(iter(measured.values())))
    lines = [
        "# Upstream client: CPU per call",
        "",
        f"`python benchmarks/upstream_cpu.py --calls {args.calls} "
        f"--rounds {args.rounds}`; Python {platform.python_version()}, "
        f"urllib3 {urllib3.__version__}; median of {args.rounds} alternating rounds.",
        "",
        "| client | CPU µs per call (median) | min-max | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name, values in measured.items():
        median = statistics.median(values)
        lines.append(
            f"| {name} | {median * 1e6:.1f} | {min(values) * 1e6:.1f}-"
            f"{max(values) * 1e6:.1f} | {median / first:.2f} |"
        )
    report = "\n".join(lines) + "\n"
    (HERE / "results" / "upstream.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
