"""``make scan``: security scanners over the portal, bounded in time, failing on any finding.

1. bandit over ``portal/`` (configuration in pyproject.toml ``[tool.bandit]``).
2. A throw-away portal: a fresh SQLite database in a temporary directory, migrated and seeded
   (reference and demo data) in the development configuration, then served by gunicorn in the
   production configuration (generated SECRET_KEY, secure cookies) over HTTPS with a
   self-signed certificate on a free port of 127.0.0.1.
3. Signed-in sessions (scripts/scan_session.py): a requester for wapiti; a coordinator and an
   admin, through their second factor, for sqlmap, so that the scanners reach every list.
4. sqlmap tries every GET form (filters, search) and query string the sessions' pages offer.
5. wapiti crawls from one page per route shape the requester can open and attacks the query
   strings and the forms it finds (two runs in parallel).
6. The server's log must hold no unhandled error (a 500 is a finding too).

One summary line per tool; exit status 1 on any finding, tool error or exceeded time bound.
Environment: SCAN_KEEP=1 keeps the temporary directory (reports, logs) and prints its path;
the time bounds are SCAN_SQLMAP_SECONDS (180; no URL is started after it, each has 90),
SCAN_WAPITI_CRAWL_SECONDS (45), SCAN_WAPITI_MODULE_SECONDS (40, each attack module) and
SCAN_WAPITI_RUN_SECONDS (200, each of the two parallel attack runs; no step starts after it).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import scan_session
from scan_session import Account, Browser, ScanSessionError

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("VENV", ROOT / ".venv"))
if not VENV.is_absolute():
    VENV = ROOT / VENV
BIN = VENV / "bin"

WAPITI_CRAWL_SECONDS = int(os.environ.get("SCAN_WAPITI_CRAWL_SECONDS", "45"))
WAPITI_MODULE_SECONDS = int(os.environ.get("SCAN_WAPITI_MODULE_SECONDS", "40"))
WAPITI_RUN_SECONDS = int(os.environ.get("SCAN_WAPITI_RUN_SECONDS", "200"))
SQLMAP_SECONDS = int(os.environ.get("SCAN_SQLMAP_SECONDS", "180"))
SQLMAP_TARGET_SECONDS = 90  # one URL; a slow target usually means time-based payloads land
WAPITI_AGENT = "portal-scan-wapiti"

# wapiti modules, and why these:
#   sql, xss, permanentxss, exec, file, crlf, redirect: injection and redirect classes that reach
#     a Flask app through query strings and form fields (stored XSS: the portal shows what users
#     post, in three languages);
#   csrf: every state-changing form must carry and check a token;
#   csp, cookieflags: the Content-Security-Policy and the session cookie's flags in production;
#   methods, htaccess: unexpected HTTP methods, and 401/403 pages that another method bypasses.
# Left out: blindsql (sleep payloads for MySQL/PostgreSQL/MSSQL, not SQLite; sqlmap covers time-
# based injection), ssrf and xxe (need wapiti's Internet endpoint), http_headers (wapiti 3.0.4
# demands the obsolete X-XSS-Protection: 1), backup, buster, nikto, shellshock (file and CGI
# brute force; nothing of the kind is served), brute_login_form (would lock accounts), wapp.
#
# wapiti attacks every crawled GET URL before the first form, and the list filters alone fill a
# module's time bound; so the crawl runs once and two attack runs share it in parallel, one on
# query strings and one on forms (new and edited needs, offers, reports: where stored XSS would
# enter), each module bounded by SCAN_WAPITI_MODULE_SECONDS.
# Each run takes its steps in turn, the quick ones first; a step is one wapiti process (--skip-
# crawl), so that no step starts after the run's time is up (permanentxss needs xss beside it).
WAPITI_RUNS = {
    "get": (
        "csp,cookieflags,methods",
        "crlf:get,redirect:get",
        "xss:get",
        "sql:get",
        "exec:get",
        "file:get",
    ),
    "post": (
        "csrf,htaccess",
        "crlf:post",
        "xss:post,permanentxss",
        "sql:post",
        "exec:post",
        "file:post",
    ),
}

Summary = list[tuple[str, bool, str]]


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"scan {time.monotonic() - STARTED:4.0f}s: {message}", flush=True)


# ---------------------------------------------------------------- 1. bandit


def run_bandit(tmp: Path) -> tuple[bool, str]:
    """bandit with the pyproject configuration. A finding on a line that already carries the
    reviewed ruff marker for the same check (``# noqa: S105 (reason)`` for B105: ruff's S rules
    are flake8-bandit's) counts as reviewed: one marker per line, not two."""
    report = tmp / "bandit.json"
    cmd = [str(BIN / "bandit"), "-c", "pyproject.toml", "-r", "portal", "-q"]
    cmd += ["-f", "json", "-o", str(report)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode not in (0, 1) or not report.exists():
        return False, f"bandit failed ({done.returncode}): {done.stderr.strip()[-300:]}"
    data = json.loads(report.read_text())
    if data.get("errors"):
        return False, f"bandit could not scan: {data['errors']}"
    open_issues, reviewed = [], []
    for issue in data["results"]:
        line = (ROOT / issue["filename"]).read_text().splitlines()[issue["line_number"] - 1]
        ruff_code = "S" + issue["test_id"][1:]
        marker = re.search(r"#\s*noqa:([^#]*)", line)
        where = f"{issue['filename']}:{issue['line_number']} {issue['test_id']}"
        if marker and re.search(rf"\b{ruff_code}\b", marker.group(1)):
            reviewed.append(where)
        else:
            open_issues.append(f"{where} {issue['issue_text']}")
    files = len(data.get("metrics", {})) - 1
    for item in open_issues:
        log(f"bandit: {item}")
    if reviewed:
        log(f"bandit: reviewed (noqa): {', '.join(reviewed)}")
    return not open_issues, (
        f"{len(open_issues)} issues in {files} files ({len(reviewed)} reviewed with noqa)"
    )


# ---------------------------------------------------------------- 2. the portal


def portal_env(tmp: Path, portal_env_name: str, secret_key: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MAIL_", "REDIS_", "DATABASE_", "TOTP_", "PORTAL_", "FLASK_"))
        and k != "SECRET_KEY"
    }
    env.update(
        PORTAL_ENV=portal_env_name,
        SECRET_KEY=secret_key,
        # Production requires its own key; the seed (development) encrypts with the same one.
        TOTP_ENCRYPTION_KEY=f"{secret_key}-totp",
        DATABASE_URL=f"sqlite:///{tmp / 'portal.db'}",
        PYTHONPATH=str(ROOT),
    )
    if os.environ.get("PORTAL_DEMO_PASSWORD"):
        env["PORTAL_DEMO_PASSWORD"] = os.environ["PORTAL_DEMO_PASSWORD"]
    return env


def seed(tmp: Path, env: dict[str, str]) -> list[Account]:
    flask = [str(BIN / "flask"), "--app", "portal"]
    for args in (["db", "upgrade"], ["seed", "reference"], ["seed", "demo"]):
        done = subprocess.run(
            flask + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise ScanError(f"flask {' '.join(args)} failed: {done.stderr.strip()[-800:]}")
        log(f"flask {' '.join(args)}: {done.stdout.strip().splitlines()[-1:] or 'ok'}")
    accounts = tmp / "accounts.json"
    prepare = [str(BIN / "python"), str(ROOT / "scripts" / "scan_session.py"), "prepare"]
    done = subprocess.run(
        [*prepare, "--out", str(accounts)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise ScanError(f"creating the scan accounts failed: {done.stderr.strip()[-800:]}")
    print(done.stdout, end="", flush=True)
    return [Account(**a) for a in json.loads(accounts.read_text())]


def self_signed_certificate(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SCAN_OVERRIDES = {"ENV_NAME": "production", "RATELIMIT_ENABLED": False}


class Server:
    """gunicorn in its own process group, stopped (the whole group) by ``stop``."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.cert, self.key = self_signed_certificate(tmp)
        self.port = free_port()
        self.base = f"https://127.0.0.1:{self.port}"
        env = {**env, "PORTAL_BASE_URL": self.base}  # links in mail; other Host headers: 400
        self.log = tmp / "server.log"
        self.access_log = tmp / "access.log"
        # The production settings (gunicorn.conf.py) with a local bind, TLS and log files.
        cmd = [str(BIN / "gunicorn")]
        if (ROOT / "gunicorn.conf.py").exists():
            cmd += ["--config", str(ROOT / "gunicorn.conf.py")]
        cmd += ["--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "2"]
        cmd += ["--certfile", str(self.cert), "--keyfile", str(self.key), "--timeout", "60"]
        cmd += ["--access-logfile", str(self.access_log), "--error-logfile", str(self.log)]
        # wsgi.py's create_app() with rate limits off: a scanner answered 429 learns nothing.
        cmd += ["--capture-output", f"portal:create_app({SCAN_OVERRIDES!r})"]
        with (tmp / "server.out").open("w") as out:
            self.process = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, seconds: float = 30) -> None:
        browser = Browser(self.base, str(self.cert))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if browser.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        tail = self.log.read_text()[-1500:] if self.log.exists() else ""
        raise ScanError(f"the portal did not start on {self.base}:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)

    def unhandled_errors(self) -> list[str]:
        """The last line of each traceback the portal logged (the error handler logs every
        unexpected exception as 'unhandled error' before answering 500)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        errors = []
        for block in text.split("unhandled error")[1:]:
            lines = [ln for ln in block.splitlines() if ln.strip()]
            last = next((ln for ln in lines if re.match(r"^\w[\w.]*(Error|Exception)\b", ln)), "")
            errors.append(last or (lines[-1] if lines else "?"))
        return errors

    def requests_with_status(self, agent: str | None, status: str) -> set[str]:
        """The paths (as route shapes) that answered ``status`` to ``agent`` (None: anyone)."""
        paths = set()
        pattern = re.compile(r'"([A-Z]+) ([^ ?"]+)[^"]*" (\d{3}) .*"([^"]*)"\s*$')
        for line in self.access_log.read_text(errors="replace").splitlines():
            found = pattern.search(line)
            if found and found.group(3) == status and agent in (None, found.group(4)):
                method, path = found.group(1), found.group(2)
                paths.add(path if agent else f"{method} {scan_session.shape(path)}")
        return paths


class ScanError(RuntimeError):
    pass


# ---------------------------------------------------------------- 4. wapiti


# wapiti 3.0.4 (Debian 12) builds its -x exclusion patterns with a trailing "(?ms)", which
# Python 3.11 refuses; this launcher puts the flags first. Later wapiti versions run unpatched.
WAPITI_LAUNCHER = r"""
import re, sys
try:
    from wapitiCore.main.wapiti import wapiti_main
    from wapitiCore.net import crawler
except ImportError:
    wapiti_main = crawler = None
if wapiti_main is None or not hasattr(crawler, "wildcard_translate"):
    import os
    os.execvp("wapiti", ["wapiti", *sys.argv[1:]])
def wildcard_translate(pattern):
    return re.compile("(?ms)" + ".*".join(map(re.escape, pattern.split("*"))) + r"\Z")
crawler.wildcard_translate = wildcard_translate
sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
"""


def wapiti_command() -> list[str]:
    """wapiti through the launcher, with the interpreter wapiti's own script names."""
    script = Path(shutil.which("wapiti") or "wapiti")
    first = script.read_text(errors="replace").splitlines()[0] if script.exists() else ""
    interpreter = first[2:].strip().split()[0] if first.startswith("#!") else "python3"
    return [interpreter, "-c", WAPITI_LAUNCHER]


def wapiti_cookie_file(path: Path, browser: Browser) -> None:
    cookies = {
        name: {"value": value, "expires": None, "secure": True, "port": None, "version": 0}
        for name, value in browser.cookies.items()
    }
    path.write_text(json.dumps({"127.0.0.1": {"/": cookies}}))
    path.chmod(0o600)


def run_wapiti(
    tmp: Path, server: Server, browser: Browser, seen: scan_session.Discovery
) -> tuple[bool, str]:
    cookies = tmp / "wapiti-cookies.json"
    wapiti_cookie_file(cookies, browser)
    base = server.base

    def command(name: str, modules: str, seconds: int = WAPITI_MODULE_SECONDS) -> list[str]:
        cmd = [*wapiti_command(), "-u", f"{base}/", "--scope", "folder", f"--module={modules}"]
        cmd += ["-c", str(cookies), "--skip", "csrf_token", "-r", "lang", "-A", WAPITI_AGENT]
        # wapiti's interpreter may lack brotli, which the portal prefers; undecoded pages would
        # yield no links, no forms and no findings.
        cmd += ["-H", "Accept-Encoding: gzip, deflate"]
        cmd += ["-x", f"{base}/logout", "-x", f"{base}/static/*"]
        cmd += ["--max-scan-time", str(WAPITI_CRAWL_SECONDS)]
        cmd += ["--max-attack-time", str(seconds)]
        # The start URLs are one page per route shape (scan_session.discover): wapiti takes
        # them, their forms and their links, and goes no deeper.
        cmd += ["--max-links-per-page", "100", "-d", "1", "-t", "10"]
        cmd += ["--store-session", str(tmp / f"wapiti-{name}"), "--store-config"]
        cmd += [str(tmp / f"wapiti-config-{name}"), "--no-bugreport", "-v", "1"]
        return [*cmd, "-f", "json"]

    crawl = [*command("crawl", "-all"), "--flush-session", "-o", str(tmp / "wapiti-crawl.json")]
    for page in seen.pages:
        crawl += ["-s", base + page]
    error = run_logged(crawl, tmp / "wapiti-crawl.log", WAPITI_CRAWL_SECONDS + 60)
    if error:
        return False, f"the crawl {error}"
    signed_in = server.requests_with_status(WAPITI_AGENT, "200")
    if "/profile" not in signed_in:
        return False, "wapiti did not reach the signed-in pages (no 200 for /profile)"
    missed = seen.post_forms - wapiti_post_forms(tmp / "wapiti-crawl")
    if missed:
        return False, f"wapiti's crawl missed forms a browser sees: {', '.join(sorted(missed))}"
    crawl_log = (tmp / "wapiti-crawl.log").read_text(errors="replace")
    resources = re.search(r"found (\d+) URLs and forms", crawl_log)
    crawled = "stopped at its bound" if "Max scan time was reached" in crawl_log else "complete"

    def attack(name: str, steps: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """One run: its steps in turn on its own copy of the crawl, each step's modules bounded
        by WAPITI_MODULE_SECONDS and the whole run by WAPITI_RUN_SECONDS. Returns errors and
        the steps left out for time."""
        shutil.copytree(tmp / "wapiti-crawl", tmp / f"wapiti-{name}")
        deadline = time.monotonic() + WAPITI_RUN_SECONDS
        errors, left_out = [], []
        for index, step in enumerate(steps):
            remaining = int(deadline - time.monotonic())
            if remaining < 10:
                left_out.append(step)
                continue
            cmd = command(name, step, min(WAPITI_MODULE_SECONDS, remaining))
            cmd += ["--skip-crawl", "-o", str(tmp / f"wapiti-{name}-{index}.json")]
            label = f"{name}-{step.split(':')[0].split(',')[0]}"
            error = run_logged(cmd, tmp / f"wapiti-{label}.log", remaining + 60)
            if error:
                errors.append(f"{step} {error}")
        return errors, left_out

    with ThreadPoolExecutor(max_workers=len(WAPITI_RUNS)) as pool:
        outcomes = list(pool.map(lambda run: attack(*run), WAPITI_RUNS.items()))
    failed = [error for errors, _ in outcomes for error in errors]
    left_out = [step for _, steps in outcomes for step in steps]
    if failed:
        return False, "; ".join(failed)
    if left_out:
        log(f"wapiti: not run within {WAPITI_RUN_SECONDS} s: {' '.join(left_out)}")

    found, refuted, anomalies, stopped = set(), set(), set(), []
    for report in sorted(tmp.glob("wapiti-*-*.json")):
        data = json.loads(report.read_text())
        for category, items in data.get("vulnerabilities", {}).items():
            for v in items:
                text = f"{category}: {v['method']} {v['path']} {v['parameter']} {v['info']}"
                if text in found | refuted:
                    continue
                reason = refute_csrf_finding(browser, category, v) or refute_download_finding(
                    browser, category, v
                )
                if reason:
                    refuted.add(text)
                    log(f"wapiti: not a vulnerability: {text} ({reason})")
                else:
                    found.add(text)
                    log(f"wapiti: VULNERABILITY {text}")
        for category, items in data.get("anomalies", {}).items():
            for v in items:
                text = f"{category}: {v['method']} {v['path']} {v['parameter']}"
                if text not in anomalies:
                    anomalies.add(text)
                    log(f"wapiti: ANOMALY {text} {v['info']}")
    for step_log in sorted(tmp.glob("wapiti-*-*.log")):
        output = step_log.read_text(errors="replace")
        run = step_log.stem.split("-")[1]
        stopped += [f"{m}:{run}" for m in re.findall(r"reached for module (\w+)", output)]
    if stopped:
        log(f"wapiti: stopped at the {WAPITI_MODULE_SECONDS} s bound: {', '.join(stopped)}")
    return not found and not anomalies, (
        f"{len(found)} vulnerabilities, {len(anomalies)} anomalies, {len(refuted)} refuted; "
        f"crawl {crawled}: {resources.group(1) if resources else '?'} URLs and forms, "
        f"{len(signed_in)} paths answered 200; {len(stopped)} modules stopped at "
        f"{WAPITI_MODULE_SECONDS} s, {len(left_out)} steps not run in {WAPITI_RUN_SECONDS} s"
    )


def wapiti_post_forms(session_dir: Path) -> set[str]:
    """The shapes of the forms wapiti's crawl stored (its session is an SQLite database)."""
    forms: set[str] = set()
    for db_file in session_dir.glob("*.db"):
        with contextlib.closing(sqlite3.connect(db_file)) as conn:
            rows = conn.execute("SELECT path FROM paths WHERE method = 'POST' AND evil = 0")
            forms.update(scan_session.shape(urlsplit(url).path) for (url,) in rows)
    return forms


def run_logged(cmd: list[str], log_file: Path, timeout: int) -> str | None:
    """Run a wapiti step with its output in ``log_file``; what went wrong, or None."""
    with log_file.open("w") as out:
        try:
            done = subprocess.run(
                cmd, cwd=log_file.parent, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return f"did not finish within {timeout} s (see {log_file.name})"
    output = log_file.read_text(errors="replace")
    if done.returncode != 0:
        return f"failed ({done.returncode}): {output[-600:]}"
    if re.search(r"^Traceback", output, re.M):
        return f"crashed (see {log_file.name}): {output[-600:]}"
    return None


def refute_csrf_finding(browser: Browser, category: str, vuln: dict) -> str | None:
    """wapiti knows CSRF fields only by exact names; a Flask-WTF form with a prefix names its
    token ``<prefix>-csrf_token``, which Flask-WTF accepts. Replay such a form as wapiti's own
    check does: the real token must pass the CSRF check and a wrong one must be refused (400).
    Returns why the finding is refuted, or None when it stands."""
    if "Cross Site Request Forgery" not in category:
        return None
    head, _, body = vuln["http_request"].partition("\n\n")
    method, target = head.split()[:2]
    if "not properly checked" in vuln["info"] and "multipart/form-data" in head:
        # A document upload: wapiti replays its multipart body (a made-up file) with the token
        # changed and compares two refusals. Replay its plain fields: a wrong token must be
        # refused with 400, the real one must get past the check (the view then refuses the
        # missing file with its own answer).
        fields = dict(re.findall(r'(?<!file)name="([^"]+)"\r?\n\r?\n([^\r\n]*)', body))
        token = "csrf_token" if "csrf_token" in fields else None
    elif "Lack of anti CSRF" in vuln["info"]:
        fields = dict(parse_qsl(body.strip(), keep_blank_values=True))
        token = next((name for name in fields if name.endswith("-csrf_token")), None)
    else:
        return None
    if method != "POST" or token is None:
        return None
    wrong = browser.request("POST", target, {**fields, token: "wapiti"}, referer=target)[0]
    right = browser.request("POST", target, fields, referer=target)[0]
    if wrong == 400 and right != 400:
        return f"{token} is checked: a wrong one is refused with 400, the real one gets {right}"
    return None


# What a browser never renders as a page: it saves a download of these types.
NOT_RENDERED = ("text/csv", "application/vnd.openxmlformats-officedocument", "text/calendar")


def refute_download_finding(browser: Browser, category: str, vuln: dict) -> str | None:
    """wapiti reports a stored script found in any answer, also in a CSV export, whose cells
    hold what people wrote, as written (a data file is not escaped for HTML). Such a finding
    stands unless the answer is a download a browser cannot render: a data type, sent as an
    attachment, with ``nosniff`` (no guessing it is HTML). Returns why, or None."""
    if "Cross Site Scripting" not in category:
        return None
    where = re.search(r"found in (https?://\S+?) by injecting", vuln["info"])
    if where is None:
        return None
    parts = urlsplit(where.group(1))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    status = browser.get(path)[0]
    headers = browser.last_headers
    if status != 200 or headers is None:
        return None
    kind = headers.get("Content-Type", "").split(";")[0].strip().lower()
    disposition = headers.get("Content-Disposition", "").lower()
    sniffing = headers.get("X-Content-Type-Options", "").lower()
    if (
        kind.startswith(NOT_RENDERED)
        and disposition.startswith("attachment")
        and sniffing == "nosniff"
    ):
        return f"{path} is a download ({kind}, attachment, nosniff): saved, never rendered"
    return None


# ---------------------------------------------------------------- 5. sqlmap


def sqlmap_one(tmp: Path, base: str, url: str, cookie: str, index: int) -> tuple[str, str]:
    """('clean'|'injectable'|'error', detail) for one URL."""
    out_dir = tmp / "sqlmap" / str(index)
    cmd = ["sqlmap", "-u", base + url, "--cookie", cookie, "--drop-set-cookie", "--batch"]
    cmd += ["--level", "1", "--risk", "1", "--dbms", "SQLite", "--technique", "BEUST"]
    cmd += ["--skip", "csrf_token,lang", "--timeout", "15", "--retries", "1", "--time-sec", "2"]
    cmd += ["--output-dir", str(out_dir), "--disable-coloring", "-v", "1"]
    cmd += ["--user-agent", "portal-scan-sqlmap", "--answers", "follow=N"]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=SQLMAP_TARGET_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return "error", f"{url}: no answer within {SQLMAP_TARGET_SECONDS} s"
    output = done.stdout + done.stderr
    (tmp / "sqlmap" / f"{index}.log").write_text(f"{url}\n{output}")
    if "identified the following injection point" in output or "is vulnerable" in output:
        points = re.findall(r"Parameter: (.+)", output)
        return "injectable", f"{url}: {', '.join(points) or 'see log'}"
    if done.returncode != 0 and "do not appear to be injectable" not in output:
        return "error", f"{url}: sqlmap exit {done.returncode}: {output.strip()[-400:]}"
    for line in output.splitlines():
        if "[CRITICAL]" in line and "do not appear to be injectable" not in line:
            return "error", f"{url}: {line.strip()}"
    return "clean", url


def run_sqlmap(tmp: Path, server: Server, targets: list[tuple[str, str]]) -> tuple[bool, str]:
    (tmp / "sqlmap").mkdir()
    deadline = time.monotonic() + SQLMAP_SECONDS
    results: list[tuple[str, str]] = []

    def one(item: tuple[int, tuple[str, str]]) -> tuple[str, str]:
        index, (url, cookie) = item
        if time.monotonic() > deadline:
            return "skipped", url
        return sqlmap_one(tmp, server.base, url, cookie, index)

    # Two at a time: two cores, two gunicorn workers.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, enumerate(targets)))
    with (tmp / "sqlmap-results.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(results)
    counts = {k: sum(1 for r in results if r[0] == k) for k in ("clean", "injectable", "error")}
    skipped = [d for r, d in results if r == "skipped"]
    for result, detail in results:
        if result != "clean":
            log(f"sqlmap: {result} {detail}")
    ok = not counts["injectable"] and not counts["error"] and not skipped and bool(targets)
    params = sum(len(url.partition("?")[2].split("&")) for url, _ in targets)
    return ok, (
        f"{counts['injectable']} injectable, {counts['error']} errors, {len(skipped)} not reached "
        f"in {SQLMAP_SECONDS} s; {len(targets)} URLs, {params} parameters"
    )


# ---------------------------------------------------------------- the whole scan


def cookie_header(browser: Browser) -> str:
    return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def timed(summary: Summary, name: str, step: Callable[[], tuple[bool, str]]) -> None:
    started = time.monotonic()
    log(f"{name} ...")
    try:
        ok, text = step()
    except (ScanError, ScanSessionError, OSError, subprocess.SubprocessError) as error:
        ok, text = False, f"error: {error}"
    summary.append((name, ok, f"{text} [{time.monotonic() - started:.0f} s]"))
    log(f"{name}: {'ok' if ok else 'FAILED'}: {text}")


def scan(tmp: Path) -> Summary:
    summary: Summary = []
    timed(summary, "bandit", lambda: run_bandit(tmp))

    secret_key = secrets.token_urlsafe(48)
    started = time.monotonic()
    try:
        accounts = seed(tmp, portal_env(tmp, "development", secret_key))
        server = Server(tmp, portal_env(tmp, "production", secret_key))
    except (ScanError, OSError, subprocess.SubprocessError) as error:
        summary.append(("portal", False, f"error: {error}"))
        return summary
    try:
        server.wait_ready()
        with ThreadPoolExecutor(max_workers=len(accounts)) as pool:
            browsers = list(
                pool.map(lambda a: scan_session.sign_in(server.base, str(server.cert), a), accounts)
            )
            discoveries = list(pool.map(scan_session.discover, browsers))
        sessions = list(zip(accounts, browsers, strict=True))
        summary.append(
            (
                "portal",
                True,
                f"production configuration on {server.base}, signed in as "
                f"{', '.join(a.email for a in accounts)} "
                f"[{time.monotonic() - started:.0f} s]",
            )
        )
        requester, seen = browsers[0], discoveries[0]
        # sqlmap signs in as the coordinator (sees every record) and the admin (the admin
        # pages); per route shape the first session that reaches it.
        targets: dict[str, tuple[str, str]] = {}
        for browser, found in [*zip(browsers[1:], discoveries[1:]), (requester, seen)]:
            for key, (path, params) in found.targets.items():
                url = f"{path}?{urlencode(params)}"
                targets.setdefault(key, (url, cookie_header(browser)))
        log(f"pages for wapiti: {' '.join(seen.pages)}")
        log(f"URLs for sqlmap: {' '.join(u for u, _ in targets.values())}")
        # sqlmap first: it only reads, while wapiti's form attacks add hundreds of records.
        timed(summary, "sqlmap", lambda: run_sqlmap(tmp, server, list(targets.values())))
        timed(summary, "wapiti", lambda: run_wapiti(tmp, server, requester, seen))
        lost = [a.email for a, b in sessions if not scan_session.is_signed_in(b)]
        if lost:
            summary.append(("sessions", False, f"signed out during the scan: {', '.join(lost)}"))
    except (ScanError, ScanSessionError, OSError) as error:
        summary.append(("portal", False, f"error: {error}"))
    finally:
        server.stop()
    errors = server.unhandled_errors()
    for error in sorted(set(errors)):
        log(f"server: unhandled error {error} (x{errors.count(error)}; see server.log)")
    failing = server.requests_with_status(None, "500")
    if failing:
        log(f"server: answered 500 for {' '.join(sorted(failing))}")
    limited = server.requests_with_status(None, "429")
    if limited:
        log(f"server: answered 429 (rate limited) for {' '.join(sorted(limited))}")
    summary.append(
        (
            "server",
            not errors and not limited,
            f"{len(errors)} unhandled errors (500) in the log, "
            f"{len(limited)} paths rate limited (429; the scanners saw nothing there)",
        )
    )
    return summary


def main() -> int:
    for tool in ("wapiti", "sqlmap"):
        if shutil.which(tool) is None:
            log(f"{tool} is missing: apt-get install wapiti sqlmap (make scan does it as root)")
            return 2
    if not (BIN / "bandit").exists():
        log(f"bandit is missing from {VENV}: pip install -e '.[test]'")
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below
    keep = os.environ.get("SCAN_KEEP") == "1"
    tmp = Path(tempfile.mkdtemp(prefix="portal-scan-"))
    started = time.monotonic()
    try:
        summary = scan(tmp)
    finally:
        if keep:
            log(f"reports and logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    for name, ok, text in summary:
        print(f"{name:8} {'ok    ' if ok else 'FAILED'} {text}")
    failed = [name for name, ok, _ in summary if not ok]
    verdict = f"FAILED ({', '.join(failed)})" if failed else "passed"
    print(f"make scan {verdict} in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
