"""Run the README's quick start, as written, on a fresh clone; fail if it does not end well.

    python3 scripts/quickstart_check.py          # .ci/run does this after the SQLite tests

The commands are the shell blocks of README.md's "Quick start" section, in order, each run
with bash exactly as written, in a `git clone` of this repository's HEAD, with the
environment a newcomer has (no DATABASE_URL, broker or cache URL). Three things differ,
and only because a script is not a person:

- `PORT` is a free port rather than 8000 (the machine may be serving 8000), and each
  `localhost:8000` in a command becomes that port: the one-port rule the README states.
- `make run` stays in the foreground, so it is started in the background, in its own
  process group, and stopped with Ctrl-C's SIGINT at the end.
- Step 2 happens in a browser: the script does the same over HTTP (sign in as the user
  `make demo` printed as yesterday's winner and find the won ballot in `GET /ballots`).

It passes when every command succeeds and the verifier, run on yesterday (a drawn day with
ballots), prints OK checks and no FAIL. Standard library only. Bounded: each step has a time limit.
"""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT = 600  # a fresh clone's first make installs the locked environment
START_TIMEOUT = 180


def quickstart_commands(readme: str) -> list[str]:
    """The shell commands of the README's "Quick start" section, in order."""
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```shell\n(.*?)```", section, flags=re.DOTALL)
    return [
        line.strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def say(message: str) -> None:
    print(f"[quickstart] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_json(url: str, body: object = None, token: str = "") -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def wait_until_serving(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"make run exited with {server.returncode} before serving")
        try:
            http_json(f"{base}/health/live")
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"make run did not serve {base} within {START_TIMEOUT} s")


def sign_in_and_find_the_won_ballot(base: str, demo_output: str, yesterday: str) -> None:
    """Step 2, over HTTP: what the README has a person do in /docs."""
    passwords = dict(re.findall(r"(demo_\w+)\s+password: (\S+)", demo_output))
    found = re.search(
        rf"{yesterday}: (\d+) ballots, winning ballot (\S+) \((demo_\w+)\)", demo_output
    )
    if not found:
        raise SystemExit(f"make demo printed no winner for {yesterday}:\n{demo_output}")
    count, ballot_id, username = found.groups()
    pair = http_json(f"{base}/token/pair", {"username": username, "password": passwords[username]})
    assert isinstance(pair, dict)
    won = http_json(f"{base}/ballots?status=won&limit=100", token=pair["access"])
    assert isinstance(won, dict)
    if ballot_id not in {item["id"] for item in won["items"]}:
        raise SystemExit(f"{username}'s won ballots do not list {ballot_id}: {won}")
    say(f"signed in as {username}; GET /ballots?status=won lists {ballot_id} ({count} ballots)")


def main() -> None:
    commands = quickstart_commands((ROOT / "README.md").read_text())
    port = free_port()
    base = f"http://localhost:{port}"
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()  # TIME_ZONE=UTC
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "CELERY_", "CACHE_", "LOTTERY_", "MAKE", "VIRTUAL_ENV"))
        and k not in {"DEBUG", "PORT", "BASE_URL", "TIME_ZONE"}
    }
    env["PORT"] = str(port)
    say(f"{len(commands)} commands from README.md's quick start; PORT={port}")

    with tempfile.TemporaryDirectory(prefix="quickstart-") as tmp:
        clone = Path(tmp) / "lottery"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        say(f"cloned HEAD into {clone}")
        server: subprocess.Popen[bytes] | None = None
        server_log = open(Path(tmp) / "make-run.log", "wb")  # noqa: SIM115 - closed below
        demo_output = ""
        try:
            for written in commands:
                command = written.replace("localhost:8000", f"localhost:{port}")
                started = time.monotonic()
                if shlex.split(command)[:2] == ["make", "run"]:
                    server = subprocess.Popen(
                        ["bash", "-c", command],
                        cwd=clone,
                        env=env,
                        stdout=server_log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                    wait_until_serving(base, server)
                    say(f"$ {written}  -> serving {base} after {time.monotonic() - started:.1f} s")
                    sign_in_and_find_the_won_ballot(base, demo_output, yesterday)
                    continue
                result = subprocess.run(
                    ["bash", "-c", command],
                    cwd=clone,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=STEP_TIMEOUT,
                    check=False,
                )
                took = time.monotonic() - started
                say(f"$ {written}  -> exit {result.returncode} in {took:.1f} s")
                if result.returncode != 0:
                    raise SystemExit(f"failed:\n{result.stdout}\n{result.stderr}")
                if shlex.split(command)[:2] == ["make", "demo"]:
                    demo_output = result.stdout
                if "verify_draw.py" in command:
                    print(result.stdout, end="")
                    checks = [line for line in result.stdout.splitlines() if line.startswith("OK")]
                    if not checks or "FAIL" in result.stdout:
                        raise SystemExit("the verifier did not pass every check")
                    draw = http_json(f"{base}/draws/{yesterday}")
                    assert isinstance(draw, dict)
                    if not draw.get("ballot_count"):
                        raise SystemExit(f"{yesterday} was drawn without ballots: {draw}")
                    say(f"verified {yesterday}: {len(checks)} OK, {draw['ballot_count']} ballots")
        finally:
            if server is not None and server.poll() is None:
                os.killpg(server.pid, signal.SIGINT)  # Ctrl-C: run.sh stops all three
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait()
                say(f"make run stopped (exit {server.returncode})")
            server_log.close()
    say("the quick start works as written")


if __name__ == "__main__":
    main()
