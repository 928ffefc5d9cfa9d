"""Run the production shape for real (`make compose-test`): Dockerfile, docker-compose.yml.

Builds the image with `make build`, waits for every service to turn healthy, then walks the
README's Docker flow through the published port (migrate, test user and its token, register,
ballots, /lotteries, /health/ready, /metrics, a draw inside the web container, /draws) and
checks what the production shape promises:

- the image is built once per `make build` (no dangling copies left behind);
- nothing starts before the migrations: the worker's start-up draw succeeds, never errors;
- Swagger UI's bundle comes compressed to a client that accepts gzip;
- 16 clients trickling a request body do not take the API down (/health/live within 1 s);
- `make docker-down` leaves no container, volume or network of the project behind.

Stdlib only. Bounded: every wait has a deadline, and the whole run stops after
COMPOSE_TEST_TIMEOUT seconds (default 900). Exits non-zero on any failure, after printing
every check and `make docker-down`.

    COMPOSE_TEST_PORT=(a free port)   COMPOSE_PROJECT_NAME=lottery-compose-test
"""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STARTED = time.monotonic()
TIMEOUT = int(os.environ.get("COMPOSE_TEST_TIMEOUT", "900"))
PROJECT = os.environ.get("COMPOSE_PROJECT_NAME", "lottery-compose-test")
METRICS_TOKEN = "compose-test-metrics-token"
SWAGGER_BUNDLE = "/static/ninja/swagger-ui-bundle.js"
SLOW_CLIENTS = 16

failures: list[str] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = int(os.environ.get("COMPOSE_TEST_PORT") or free_port())
BASE = f"http://127.0.0.1:{PORT}"
ENV = {
    **os.environ,
    "COMPOSE_PROJECT_NAME": PROJECT,
    # Published on loopback only, on a port of our own: 8000 may be taken.
    "WEB_PORT": f"127.0.0.1:{PORT}",
    "BASE_URL": BASE,
    "SECRET_KEY": "compose-test-" + "s" * 50,
    "METRICS_TOKEN": METRICS_TOKEN,
}


def say(message: str) -> None:
    print(f"[compose {time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def check(ok: bool, what: str) -> bool:
    say(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


def run(*command: str, timeout: float = 300, quiet: bool = False) -> str:
    """Run a command in the project folder; its output is returned (and printed)."""
    if not quiet:
        say("$ " + " ".join(command))
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    if not quiet or result.returncode:
        for line in result.stdout.splitlines()[-40:]:
            print("    " + line, flush=True)
    if result.returncode:
        raise SystemExit(f"`{' '.join(command)}` exited {result.returncode}")
    return result.stdout


def compose(*args: str, timeout: float = 120, quiet: bool = True) -> str:
    return run("docker", "compose", *args, timeout=timeout, quiet=quiet)


def http(
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(BASE + path, method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def services() -> list[dict[str, Any]]:
    out = compose("ps", "--all", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]
    if len(rows) == 1 and isinstance(rows[0], list):  # older Compose: one JSON array
        rows = rows[0]
    return rows


def wait_healthy(seconds: float) -> None:
    """Every long-running service healthy, every one-shot service exited 0."""
    deadline = time.monotonic() + seconds
    while True:
        rows = services()
        states = {
            row["Service"]: row.get("Health") or row["State"]
            if row["State"] != "exited"
            else f"exited {row.get('ExitCode')}"
            for row in rows
        }
        done = all(state in ("healthy", "exited 0") for state in states.values())
        if done or time.monotonic() > deadline:
            check(done, f"every service healthy or done: {states}")
            return
        time.sleep(3)


def image_ids() -> set[str]:
    out = subprocess.run(
        ["docker", "image", "ls", "--all", "--quiet", "--no-trunc"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def logs(service: str) -> str:
    return compose("logs", "--no-color", service)


def wait_for_log(service: str, pattern: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if re.search(pattern, logs(service)):
            return True
        time.sleep(2)
    return False


@contextlib.contextmanager
def slow_clients(count: int) -> Iterator[list[socket.socket]]:
    """Connections that each start a 100-byte POST /token/pair body and then trickle it."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", PORT), timeout=5)
            sock.sendall(
                b"POST /token/pair HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def probe_live_while_slow_clients() -> None:
    """The slow-body attack of issue 19: 16 trickling bodies, then /health/live within 1 s."""
    with slow_clients(SLOW_CLIENTS) as sockets:
        answered, probes = 0, 5
        for _ in range(probes):
            for sock in sockets:  # one more byte each, as the attacker would every few seconds
                with contextlib.suppress(OSError):
                    sock.sendall(b" ")
            started = time.monotonic()
            try:
                with urllib.request.urlopen(BASE + "/health/live", timeout=1) as response:
                    answered += response.status == 200
                    took = time.monotonic() - started
                    say(f"      /health/live answered in {took * 1000:.0f} ms")
            except OSError as exc:
                say(f"      /health/live: no answer within 1 s ({exc})")
            time.sleep(2)
    check(
        answered == probes,
        f"{answered} of {probes} /health/live probes answered within 1 s "
        f"while {SLOW_CLIENTS} clients trickled request bodies",
    )


def readme_flow() -> None:
    compose("exec", "-T", "web", "python", "manage.py", "migrate", "--no-input", quiet=False)
    run("make", "--no-print-directory", "create-test-user")
    tokens = run("make", "--no-print-directory", "get-token-test-user")
    found = re.search(r'"access":\s*"([^"]+)"', tokens)
    check(bool(found), "make get-token-test-user printed an access token")

    user = {"username": "compose_user", "password": "compose-pass-phrase-7"}
    status, _, _ = http("POST", "/accounts/register", user)
    check(status == 201, f"POST /accounts/register: {status}")
    status, _, body = http("POST", "/token/pair", user)
    check(status == 200, f"POST /token/pair: {status}")
    access = json.loads(body)["access"] if status == 200 else ""
    for _ in range(3):
        status, _, body = http("POST", "/ballots", {}, token=access)
        check(status == 201, f"POST /ballots: {status}")
    status, _, body = http("GET", "/ballots", token=access)
    count = json.loads(body).get("count") if status == 200 else None
    check(status == 200 and count == 3, f"GET /ballots: {status}, count {count}")
    status, _, body = http("GET", "/lotteries")
    check(status == 200 and len(json.loads(body)) > 0, f"GET /lotteries: {status}")
    status, _, body = http("GET", "/health/ready")
    check(status == 200, f"GET /health/ready: {status} {body.decode()[:200]}")
    status, _, _ = http("GET", "/metrics")
    check(status == 401, f"GET /metrics without the token: {status}")
    status, _, body = http("GET", "/metrics", token=METRICS_TOKEN)
    check(
        status == 200 and b'lottery_ballots_total{outcome="accepted"} 3.0' in body,
        f"GET /metrics with METRICS_TOKEN: {status}, the 3 ballots counted",
    )
    out = compose("exec", "-T", "web", "python", "manage.py", "draw", quiet=False)
    check("Nothing to draw" in out or "ballots" in out, "manage.py draw inside web")
    status, _, body = http("GET", "/draws")
    check(status == 200 and "items" in json.loads(body), f"GET /draws: {status}")

    status, headers, body = http("GET", SWAGGER_BUNDLE, headers={"Accept-Encoding": "gzip"})
    encoding = headers.get("Content-Encoding")
    check(
        status == 200 and encoding == "gzip",
        f"GET {SWAGGER_BUNDLE} with gzip: {status}, Content-Encoding {encoding}, {len(body)} bytes",
    )
    # A chunked body (no Content-Length): nginx reads it whole and forwards it with one, so
    # the ballot lands on the day it names (Granian alone handed Django an empty body).
    day = json.loads(http("GET", "/lotteries")[2])[-1]["date"]
    connection = HTTPConnection("127.0.0.1", PORT, timeout=15)
    connection.request(
        "POST",
        "/ballots",
        body=iter([json.dumps({"date": day}).encode()]),
        headers={"Authorization": f"Bearer {access}", "Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    landed = json.loads(response.read()).get("date")
    connection.close()
    check(
        response.status == 201 and landed == day,
        f"a chunked POST /ballots for {day}: {response.status}, for {landed}",
    )
    status, _, body = http("GET", "/docs")
    check(status == 200 and b"swagger" in body.lower(), f"GET /docs: {status}")
    public_record()


def public_record() -> None:
    """The open days' policies are in the log, and the witness service cosigned it."""
    status, _, body = http("GET", "/log/witnesses")
    witnesses = json.loads(body).get("witnesses", []) if status == 200 else []
    check(len(witnesses) == 1, f"GET /log/witnesses: {status}, {len(witnesses)} witness")
    deadline, cosigned, note = time.monotonic() + 60, False, ""
    while not cosigned and time.monotonic() < deadline:
        status, _, body = http("GET", "/log/checkpoint")
        note = body.decode(errors="replace")
        # The lottery's signature, then the witness's cosignature of the same checkpoint.
        cosigned = status == 200 and note.count("\n\u2014 ") >= 2
        if not cosigned:
            time.sleep(2)
    check(cosigned, f"GET /log/checkpoint is cosigned by the witness service: {note[-160:]!r}")


def forged_forwarded_for_is_not_believed() -> None:
    """Behind the proxy (NUM_PROXIES=1) a client's own X-Forwarded-For buys no fresh budget."""
    statuses = []
    for attempt in range(40):
        status, _, _ = http(
            "POST",
            "/token/pair",
            {"username": f"nobody{attempt}", "password": "wrong-password"},
            headers={"X-Forwarded-For": f"198.51.100.{attempt}"},
        )
        statuses.append(status)
        if status == 429:
            break
    check(
        statuses[-1] == 429 and set(statuses[:-1]) == {401},
        f"a forged X-Forwarded-For per request: 429 after {len(statuses) - 1} logins "
        "(AUTH_RATE_LIMIT_PER_MINUTE is 30)",
    )


def nothing_left_behind() -> None:
    leftovers = {}
    for kind in ("container", "volume", "network"):
        command = ["docker", kind, "ls", "--quiet", "--filter"]
        command.append(f"label=com.docker.compose.project={PROJECT}")
        if kind == "container":
            command = ["docker", "ps", "--all", "--quiet", "--filter", command[-1]]
        found = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
        if found:
            leftovers[kind] = found
    check(not leftovers, f"make docker-down left nothing behind {leftovers or ''}".strip())


def main() -> int:
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(f"compose test: over {TIMEOUT} s"))
    signal.alarm(TIMEOUT)
    say(f"project {PROJECT}, published on {BASE}")
    run("docker", "compose", "version")
    before = image_ids()
    try:
        build_started = time.monotonic()
        run("make", "--no-print-directory", "build", timeout=600)
        say(f"make build took {time.monotonic() - build_started:.0f} s")
        new = image_ids() - before - set(compose("images", "-q").split())
        dangling = subprocess.run(
            ["docker", "image", "ls", "--quiet", "--no-trunc", "--filter", "dangling=true"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        new_dangling = sorted(set(dangling) & new)
        check(not new_dangling, f"one image per make build ({len(new_dangling)} dangling copies)")
        size = run("docker", "image", "ls", "lottery:latest", "--format", "{{.Size}}", quiet=True)
        say(f"image lottery:latest: {size.strip()}")
        uv = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "sh", "lottery:latest", "-c", "type uv"],
            capture_output=True,
            text=True,
            check=False,
        )
        found = "" if uv.returncode else f": {uv.stdout.strip()}"
        check(uv.returncode != 0, f"no uv in the runtime image{found}")

        wait_healthy(240)
        started = wait_for_log("worker", r"lottery_draw_closed_days\[[^]]+\] succeeded", 60)
        errors = [
            line
            for line in logs("worker").splitlines()
            if "Lottery draw failed" in line or "does not exist" in line
        ]
        for line in errors[:3]:
            print("    " + line[:300], flush=True)
        check(
            started and not errors,
            "the worker's start-up draw succeeded, with no error before the migrations",
        )
        readme_flow()
        probe_live_while_slow_clients()
        forged_forwarded_for_is_not_believed()
        wait_healthy(30)
    finally:
        with contextlib.suppress(Exception, SystemExit):
            if failures:
                for service in ("migrate", "web", "worker", "beat", "proxy"):
                    with contextlib.suppress(Exception, SystemExit):
                        print(f"--- last log lines of {service}", flush=True)
                        for line in logs(service).splitlines()[-15:]:
                            print("    " + line[:300], flush=True)
        run("make", "--no-print-directory", "docker-down", timeout=180)
        nothing_left_behind()
    say(f"{len(failures)} failed: {failures}" if failures else "every check passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
