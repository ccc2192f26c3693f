#!/usr/bin/env python3
"""Castellan against its ceiling, side by side, in interleaved rounds (`just bench-http`).

Starts three servers from release builds on loopback: Castellan in production
(PostgreSQL + Redis), Castellan embedded (SQLite + in-process store) and the ceiling
(`benches/ceiling`: bare actix-web + EdDSA check + one Redis EXISTS + one indexed
diesel-async query). Then, per round, runs each workload against each with `wrk` and reports
requests/s, p50, p99 and the ratio to the ceiling *in the same round* (the machine's speed
drifts between rounds; only same-round ratios mean anything). Logins (each storm against the
raw argon2id rate measured just before and just after it) and refreshes also run in rounds. Also measured:
time to the first 200 on /health, RSS after the reads and after a login storm (and 10 s later), throughput
and p99 against connections (1, 4, 16, 64) and against data size (1x, 10x, 100x users, roles,
rules and articles; a database per size, the sizes interleaved in rounds). Writes docs/benchmarks.md and its plots (docs/benchmarks/*.png).

Run by scripts/bench-http.sh, which installs wrk, builds and makes the venv with matplotlib.
With CASTELLAN_BEFORE=<path to another castellan binary>, that build also serves a
production database of its own (migrated by that build and given the same demo seed, so
that a change to the schema leaves it working) and joins every round's authenticated reads
and refreshes as `before`: a change's gain, measured in the same rounds.
Every server listens on 127.0.0.1 and is stopped at the end; every wrk run is bounded.
"""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
CASTELLAN = TARGET / "release" / "castellan"
CEILING = TARGET / "release" / "castellan-ceiling"
PG_ADMIN = os.environ.get("CASTELLAN_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CASTELLAN_TEST_REDIS_URL", "redis://127.0.0.1:6379")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECONDS = int(os.environ.get("SECONDS_PER_RUN", "10"))
SWEEP_SECONDS = int(os.environ.get("SWEEP_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
SIZES = (1, 10, 100)
DOCS = ROOT / "docs"
PLOTS = DOCS / "benchmarks"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def psql(sql, db_url=PG_ADMIN):
    subprocess.run(["psql", db_url, "-qAtc", sql], check=True, stdout=subprocess.DEVNULL)


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """A process listening on a port, stopped by `stop`."""

    def __init__(self, name, argv, env, cwd, health):
        self.name, self.port = name, int(env.get("CASTELLAN__SERVER__BIND", env.get("CEILING_BIND", ":0")).rsplit(":", 1)[1])
        started = time.monotonic()
        self.process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
        deadline = started + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{health}", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # an answer (the ceiling's /hello is a 401)
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{name} did not start")
                time.sleep(0.002)
        self.startup_ms = (time.monotonic() - started) * 1000

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def rss(self):
        return rss_mb(self.process.pid)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def castellan_env(workdir, database_url, redis_url, prefix):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASTELLAN")}
    env.update({
        "CASTELLAN__SERVER__BIND": f"127.0.0.1:{free_port()}",
        "CASTELLAN__DATABASE__URL": database_url,
        "CASTELLAN__REDIS__URL": redis_url,
        "CASTELLAN__REDIS__KEY_PREFIX": prefix,
        "CASTELLAN__AUTH__SIGNING_KEY_PATH": str(workdir / "signing.key"),
        "CASTELLAN__AUTH__ACCESS_TTL_SECS": "7200",
        "CASTELLAN__VAULT__KEK_PATH": str(workdir / "vault.kek"),
        "CASTELLAN__API_KEYS__PEPPER_PATH": str(workdir / "pepper.key"),
        "CASTELLAN__LOG__LEVEL": "warn",
    })
    # Every limit checked, none refusing: what the checks cost, not what they refuse.
    for key in ["LOGIN_PER_IP_EMAIL_PER_MINUTE", "LOGIN_PER_IP_PER_MINUTE", "REGISTER_PER_HOUR",
                "TENANTS_PER_HOUR", "INVITATION_ACCEPTS_PER_HOUR", "PASSWORD_RESET_PER_HOUR",
                "AUTHENTICATED_PER_MINUTE", "ANONYMOUS_PER_MINUTE", "LOCKOUT_FAILURES_PER_IP",
                "LOCKOUT_FAILURES_PER_EMAIL"]:
        env[f"CASTELLAN__RATE_LIMIT__{key}"] = "1000000000"
    return env


LUA_LOGIN = """wrk.method = "POST"
wrk.body = '{"email": "admin@example.com", "password": "adminpass"}'
wrk.headers["Content-Type"] = "application/json"
"""


# Refresh chains: each wrk thread drives one connection and always presents the refresh
# token the previous answer gave it (a token presented twice would revoke its session).
LUA_REFRESH = """local n = 0
function setup(thread)
    n = n + 1
    thread:set("me", n)
end
function init(args)
    token = args[me]
end
function request()
    return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
        '{"refresh": "' .. token .. '"}')
end
function response(status, headers, body)
    local next = body:match('"refresh":"([^"]+)"')
    if status == 200 and next then
        token = next
    end
end
"""


def refresh_rate(server, connections=4):
    """Refreshes/s over `connections` independent refresh chains (one session each)."""
    login = {"email": "admin@example.com", "password": "adminpass"}
    tokens = [http("POST", server.url("/api/v1/auth/login"), login)["data"]["refresh"] for _ in range(connections)]
    lua = Path(tempfile.mkdtemp(prefix="castellan-refresh-")) / "refresh.lua"
    lua.write_text(LUA_REFRESH)
    argv = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{SECONDS}s", "--latency", "-s", str(lua),
            server.url("/api/v1/auth/refresh"), "--", *tokens]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    shutil.rmtree(lua.parent, ignore_errors=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rate, "non2xx": int(failed.group(1)) if failed else 0}


def wrk(url, token=None, connections=CONNECTIONS, seconds=SECONDS, script=None):
    """One bounded wrk run: (requests/s, p50 ms, p99 ms)."""
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    if script:
        argv += ["-s", script]
    out = subprocess.run(argv + [url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def percentile(p):
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {"rps": rate, "p50": percentile(50), "p99": percentile(99),
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


class HealthProbe(threading.Thread):
    """Every 20 ms a GET of the next of `urls` in turn (a new connection each, as a health
    checker makes) until stopped; `stop` returns each URL's p99 latency in ms. Taking turns
    puts every URL under the same conditions: the ceiling's /hello (no hashing in its
    process) shows what the machine itself adds while it is saturated."""

    def __init__(self, *urls):
        super().__init__(daemon=True)
        self.urls, self.samples, self.done = urls, {url: [] for url in urls}, threading.Event()

    def run(self):
        turn = 0
        while not self.done.is_set():
            url = self.urls[turn % len(self.urls)]
            turn += 1
            self.samples[url].append(self.latency_ms(url))
            self.done.wait(0.02)

    @staticmethod
    def latency_ms(url):
        """One GET's time to its answer; 5,000 ms when none came."""
        started = time.monotonic()
        try:
            urllib.request.urlopen(url, timeout=5).read()
        except urllib.error.HTTPError as answer:
            answer.read()  # an answer all the same (the ceiling's /hello is a 401)
        except OSError:
            return 5000.0
        return (time.monotonic() - started) * 1000

    def stop(self):
        self.done.set()
        self.join()

        def p99(samples):
            ordered = sorted(samples)
            return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

        return [p99(self.samples[url]) for url in self.urls]


def argon2_rate():
    """Raw argon2id verifications per second on two threads (the ceiling binary), over SECONDS."""
    argon = subprocess.run([str(CEILING), "argon2", str(SECONDS)], capture_output=True, text=True, check=True)
    return float(argon.stdout.strip())


def in_turn(items, round_no):
    """`items` in order in odd rounds, reversed in even ones: the machine drifts within a
    round too, and a fixed order would hand that drift to whoever always runs last."""
    return list(items) if round_no % 2 else list(reversed(items))


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def seed_more(db_url, n):
    """Adds `n` times the demo data: `n` tenants with three users, four articles each, a role
    and its rules, and 4n more articles in the demo tenant."""
    if n <= 0:
        return
    psql(f"""
        INSERT INTO tenants (id, name, slug, is_active, created_at)
            SELECT gen_random_uuid(), 'Bench ' || g, 'bench-' || g || '-' || floor(random() * 1e9)::bigint, true, now()
            FROM generate_series(1, {n}) g;
        INSERT INTO users (id, tenant_id, email, password_hash, first_name, last_name, patronymic, is_active, is_superuser, token_version, created_at, updated_at)
            SELECT gen_random_uuid(), t.id, 'bench-' || g || '-' || floor(random() * 1e12)::bigint || '@example.com', 'x', '', '', '', true, false, 1, now(), now()
            FROM tenants t, generate_series(1, 3) g WHERE t.slug LIKE 'bench-%'
                AND NOT EXISTS (SELECT 1 FROM users o WHERE o.tenant_id = t.id);
        INSERT INTO articles (id, tenant_id, owner_id, title, content, created_at, updated_at)
            SELECT gen_random_uuid(), u.tenant_id, u.id, 'Bench article ' || g, 'text', now() - g * interval '1 second', now()
            FROM users u, generate_series(1, 4) g WHERE u.email LIKE 'bench-%'
                AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.owner_id = u.id);
        INSERT INTO articles (id, tenant_id, owner_id, title, content, created_at, updated_at)
            SELECT gen_random_uuid(), u.tenant_id, u.id, 'More ' || g, 'text', now() - interval '1 day' - g * interval '1 second', now()
            FROM users u, generate_series(1, {4 * n}) g WHERE u.email = 'admin@example.com';
        INSERT INTO roles (id, tenant_id, name, description, is_system, created_at, updated_at)
            SELECT gen_random_uuid(), t.id, 'Bench role', '', false, now(), now()
            FROM tenants t WHERE t.slug LIKE 'bench-%'
            ON CONFLICT DO NOTHING;
        INSERT INTO access_rules (id, tenant_id, role_id, element_id, can_read_own, can_read_all, can_create, can_update_own, can_update_all, can_delete_own, can_delete_all)
            SELECT gen_random_uuid(), r.tenant_id, r.id, e.id, true, true, false, false, false, false, false
            FROM roles r, business_elements e WHERE r.name = 'Bench role'
            ON CONFLICT DO NOTHING;
    """, db_url)
    # What autovacuum would have done by then: statistics and the visibility map.
    psql("VACUUM ANALYZE", db_url)


def fmt(x, digits=0):
    return f"{x:,.{digits}f}"


def main():
    for tool in ["wrk", "psql"]:
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing (scripts/bench-http.sh installs wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="castellan-bench-"))
    db = f"castellan_t_benchhttp_{int(time.time())}"
    psql(f"CREATE DATABASE {db}")
    databases = [db]
    db_url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{db}"
    servers = []
    report = {"rounds": [], "sweep": [], "size": []}
    try:
        # -- start -------------------------------------------------------------------------
        prod_env = castellan_env(workdir, db_url, REDIS_URL, f"bench:{db}:")
        (workdir / "embedded").mkdir()
        emb_env = castellan_env(workdir, f"sqlite://{workdir}/embedded/castellan.db", "", "bench:")
        for env in (prod_env, emb_env):
            subprocess.run([str(CASTELLAN), "seed", "--demo"], env=env, cwd=workdir, check=True, stdout=subprocess.DEVNULL)
        production = Server("production", [str(CASTELLAN), "serve"], prod_env, workdir, "/api/v1/health")
        servers.append(production)
        embedded = Server("embedded", [str(CASTELLAN), "serve"], emb_env, workdir, "/api/v1/health")
        servers.append(embedded)
        jwk = http("GET", production.url("/.well-known/jwks.json"))["keys"][0]["x"]
        ceil_env = dict(os.environ, CEILING_BIND=f"127.0.0.1:{free_port()}", CEILING_DATABASE_URL=db_url,
                        CEILING_REDIS_URL=REDIS_URL, CEILING_JWK_X=jwk, CEILING_ISSUER="castellan",
                        CEILING_AUDIENCE="castellan")
        ceiling = Server("ceiling", [str(CEILING)], ceil_env, workdir, "/hello")
        servers.append(ceiling)
        before = None
        if os.environ.get("CASTELLAN_BEFORE"):
            before_db = f"{db}_before"
            psql(f"CREATE DATABASE {before_db}")
            databases.append(before_db)
            before_env = castellan_env(workdir, f"{PG_ADMIN.rsplit('/', 1)[0]}/{before_db}", REDIS_URL,
                                       f"bench:{before_db}:")
            subprocess.run([os.environ["CASTELLAN_BEFORE"], "seed", "--demo"], env=before_env, cwd=workdir,
                           check=True, stdout=subprocess.DEVNULL)
            before = Server("before", [os.environ["CASTELLAN_BEFORE"], "serve"], before_env, workdir, "/api/v1/health")
            servers.append(before)
        report["startup_ms"] = {s.name: s.startup_ms for s in servers}
        report["rss_idle"] = {s.name: s.rss() for s in servers}

        login = {"email": "admin@example.com", "password": "adminpass"}
        tokens = {
            "production": http("POST", production.url("/api/v1/auth/login"), login)["data"]["access"],
            "embedded": http("POST", embedded.url("/api/v1/auth/login"), login)["data"]["access"],
        }
        if before:
            tokens["before"] = http("POST", before.url("/api/v1/auth/login"), login)["data"]["access"]
        # The demo guest reads every article of its tenant and nothing else: the same rows
        # the ceiling's query reads (the superuser admin's list spans every tenant).
        guest = {"email": "guest@example.com", "password": "guestpass"}
        tokens["guest"] = http("POST", production.url("/api/v1/auth/login"), guest)["data"]["access"]
        rows = len(http("GET", production.url("/api/v1/articles"), token=tokens["production"])["data"])
        report["rows"] = rows
        # (workload, server, path, token?)
        plan = [
            ("article list", ceiling, "/articles", tokens["production"]),
            ("article list", production, "/api/v1/articles", tokens["production"]),
            ("article list", embedded, "/api/v1/articles", tokens["embedded"]),
            ("GET /auth/me", production, "/api/v1/auth/me", tokens["production"]),
            ("GET /auth/me", embedded, "/api/v1/auth/me", tokens["embedded"]),
            *([("article list", before, "/api/v1/articles", tokens["before"]),
               ("GET /auth/me", before, "/api/v1/auth/me", tokens["before"])] if before else []),
            ("401 without a token", ceiling, "/hello", None),
            ("401 without a token", production, "/api/v1/articles", None),
            ("401 without a token", embedded, "/api/v1/articles", None),
        ]
        # -- interleaved rounds ------------------------------------------------------------
        for round_no in range(1, ROUNDS + 1):
            results = {}
            for workload, server, path, token in in_turn(plan, round_no):
                result = wrk(server.url(path), token)
                results[(workload, server.name)] = result
                if token and result["non2xx"]:
                    # A rate of refusals measures nothing: stop rather than report it.
                    raise SystemExit(f"{workload} on {server.name}: {result['non2xx']} answers were not 2xx")
                print(f"round {round_no}: {workload:<20} {server.name:<10} {fmt(result['rps'])} req/s  "
                      f"p50 {result['p50']:.2f} ms  p99 {result['p99']:.2f} ms", flush=True)
            report["rounds"].append(results)
        report["rss_after_reads"] = {s.name: s.rss() for s in servers}

        # -- logins and refreshes, in rounds ---------------------------------------------------
        # The raw argon2 rate is measured before each storm and after it (while the server
        # settles for its RSS reading): each storm's ratio is to the mean of the two runs
        # around it, as close in time as the machine's drift allows (within a round the raw
        # rate was seen to move by 20 %). `before` (if given) refreshes in the same rounds.
        lua = workdir / "login.lua"
        lua.write_text(LUA_LOGIN)
        report["login_rounds"], report["refresh_rounds"] = [], []
        for round_no in range(1, ROUNDS + 1):
            raw = [argon2_rate()]
            logins = {}
            print(f"round {round_no}: argon2id verify (19 MiB, t=2) on 2 threads: {raw[-1]:.1f} /s", flush=True)
            for server in in_turn((production, embedded), round_no):
                # /health and, in turn, the ceiling's /hello probed 50 times a second in all
                # during the storm (a light probe, unlike a second wrk, which would take the
                # cores the logins need).
                probe = HealthProbe(server.url("/api/v1/health"), ceiling.url("/hello"))
                probe.start()
                storm = wrk(server.url("/api/v1/auth/login"), connections=4, script=str(lua))
                health_p99, floor_p99 = probe.stop()
                peak = server.rss()
                # The next raw run goes on while the server settles; its RSS is read at 10 s.
                after = threading.Thread(target=lambda: raw.append(argon2_rate()))
                after.start()
                time.sleep(10)
                settled = server.rss()
                after.join()
                argon2 = (raw[-2] + raw[-1]) / 2
                logins[server.name] = {**storm, "health_p99": health_p99, "floor_p99": floor_p99,
                                       "rss_peak": peak, "rss_10s": settled, "argon2": argon2}
                print(f"round {round_no}: login storm {server.name}: {fmt(storm['rps'], 1)} /s "
                      f"({storm['rps'] / argon2:.0%} of argon2 {raw[-2]:.1f} before / {raw[-1]:.1f} after), "
                      f"/health p99 {health_p99:.2f} ms (ceiling /hello {floor_p99:.2f} ms), "
                      f"RSS {peak:.1f} MB then {settled:.1f} MB", flush=True)
            logins["argon2"] = statistics.mean(raw)
            report["login_rounds"].append(logins)
            refreshes = {}
            for server in in_turn((production, embedded, *([before] if before else [])), round_no):
                refreshes[server.name] = refresh_rate(server)
                r = refreshes[server.name]
                print(f"round {round_no}: refresh {server.name}: {fmt(r['rps'])} /s ({r['non2xx']} refused)", flush=True)
            report["refresh_rounds"].append(refreshes)
        if before:
            before.stop()
            servers.remove(before)

        # -- connections sweep -------------------------------------------------------------
        for connections in (1, 4, 16, 64):
            for server, path, token in ((ceiling, "/articles", tokens["production"]),
                                        (production, "/api/v1/articles", tokens["production"]),
                                        (embedded, "/api/v1/articles", tokens["embedded"])):
                result = wrk(server.url(path), token, connections=connections, seconds=SWEEP_SECONDS)
                report["sweep"].append((connections, server.name, result))
                print(f"{connections:>3} connections: {server.name:<10} {fmt(result['rps'])} req/s  p99 {result['p99']:.2f} ms", flush=True)

        # -- data size sweep (production; a page of 4 rows whatever the size) --------------
        # A database per size, each with its own Castellan and ceiling, measured in
        # interleaved rounds like the reads: sizes compared in one round, not across minutes
        # of the machine's drift.
        sized = {1: (ceiling, production, tokens["guest"])}
        for factor in SIZES[1:]:
            size_db = f"{db}_x{factor}"
            psql(f"CREATE DATABASE {size_db}")
            databases.append(size_db)
            size_url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{size_db}"
            # The same signing key (workdir/signing.key) as production: the ceiling's JWK.
            env = castellan_env(workdir, size_url, REDIS_URL, f"bench:{size_db}:")
            subprocess.run([str(CASTELLAN), "seed", "--demo"], env=env, cwd=workdir, check=True, stdout=subprocess.DEVNULL)
            seed_more(size_url, factor - 1)
            castellan_f = Server(f"production {factor}x", [str(CASTELLAN), "serve"], env, workdir, "/api/v1/health")
            servers.append(castellan_f)
            ceiling_f = Server(f"ceiling {factor}x", [str(CEILING)],
                               dict(ceil_env, CEILING_BIND=f"127.0.0.1:{free_port()}", CEILING_DATABASE_URL=size_url),
                               workdir, "/hello")
            servers.append(ceiling_f)
            sized[factor] = (ceiling_f, castellan_f,
                             http("POST", castellan_f.url("/api/v1/auth/login"), guest)["data"]["access"])
        for round_no in range(1, ROUNDS + 1):
            # Sizes and servers in the opposite order every other round, as the reads.
            runs = [(factor, name, server, path, token)
                    for factor, (ceiling_f, castellan_f, token) in sized.items()
                    for name, server, path in (("ceiling", ceiling_f, "/articles?per_page=4"),
                                               ("production", castellan_f, "/api/v1/articles?per_page=4"))]
            for factor, name, server, path, token in in_turn(runs, round_no):
                result = wrk(server.url(path), token, seconds=SWEEP_SECONDS)
                report["size"].append((round_no, factor, name, result))
                print(f"round {round_no}: {factor:>3}x data: {name:<10} {fmt(result['rps'])} req/s  "
                      f"p99 {result['p99']:.2f} ms", flush=True)
    finally:
        for server in servers:
            server.stop()
        for name in databases:
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {name}"], stdout=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)
    write_docs(report)


def write_docs(report):
    PLOTS.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Benchmarks",
        "",
        "Written by `just bench-http` (`scripts/bench-http.sh`): Castellan in production (PostgreSQL +",
        "Redis) and embedded (SQLite + in-process store), and the **ceiling** — bare actix-web + an",
        "EdDSA token check + one Redis `EXISTS` + one indexed diesel-async query (`benches/ceiling`) —",
        f"driven by `wrk -t1 -c{CONNECTIONS}` for {SECONDS} s per run on the same machine, in {ROUNDS}",
        "interleaved rounds, each in the opposite order of the one before. Ratios are to the ceiling",
        "**in the same round** (the machine's speed drifts between rounds, and within one). Rate limits are on (every check made, none refusing) and metrics are on.",
        f"The article list returns {report['rows']} rows. Figures hold for the machine they were taken on.",
        "",
        "## Reads: the median round",
        "",
        "Per workload and server, the median over the rounds of requests/s and p99, and of the",
        "same-round ratios to the ceiling (`GET /auth/me` against the article list's ceiling).",
        "" + (" `before` is the build named by `CASTELLAN_BEFORE`, on a production database of its own with the same demo seed." if any(n == "before" for r in report["rounds"] for (_, n) in r) else ""),
        "",
        "| workload | server | req/s | p99 ms | req/s vs ceiling | p99 vs ceiling |",
        "|---|---|---|---|---|---|",
    ]
    for workload, name in report["rounds"][0]:
        runs = [r[(workload, name)] for r in report["rounds"]]
        base = "article list" if workload == "GET /auth/me" else workload
        ceilings = [r[(base, "ceiling")] for r in report["rounds"]]
        rps = statistics.median(x["rps"] / c["rps"] for x, c in zip(runs, ceilings))
        p99 = statistics.median(x["p99"] / c["p99"] for x, c in zip(runs, ceilings))
        same = name == "ceiling"
        lines.append(f"| {workload} | {name} | {fmt(median_of(runs, 'rps'))} | {median_of(runs, 'p99'):.2f} | "
                     f"{'—' if same else f'{rps:.0%}'} | {'—' if same else f'{p99:.2f}×'} |")
    lines += [
        "",
        "## Reads, per round",
        "",
        "| round | workload | server | req/s | p50 ms | p99 ms | req/s vs ceiling | p99 vs ceiling |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for number, results in enumerate(report["rounds"], 1):
        for (workload, name), r in results.items():
            ceiling = results.get((workload, "ceiling"))
            ratio = f"{r['rps'] / ceiling['rps']:.0%}" if ceiling and name != "ceiling" else "—"
            p99 = f"{r['p99'] / ceiling['p99']:.2f}×" if ceiling and name != "ceiling" else "—"
            if workload == "GET /auth/me":
                ceiling = results[("article list", "ceiling")]
                ratio = f"{r['rps'] / ceiling['rps']:.0%}"
                p99 = f"{r['p99'] / ceiling['p99']:.2f}×"
            lines.append(f"| {number} | {workload} | {name} | {fmt(r['rps'])} | {r['p50']:.2f} | {r['p99']:.2f} | {ratio} | {p99} |")
    lines += ["", "`GET /auth/me` is compared with the article list's ceiling (the same unavoidable work).", ""]
    lines += ["## Start, memory and logins", "",
              "| | production | embedded | ceiling |", "|---|---|---|---|",
              "| first 200 on /health | " + " | ".join(f"{report['startup_ms'][n]:.0f} ms" for n in ("production", "embedded", "ceiling")) + " |",
              "| RSS idle | " + " | ".join(f"{report['rss_idle'][n]:.1f} MB" for n in ("production", "embedded", "ceiling")) + " |",
              "| RSS after the reads | " + " | ".join(f"{report['rss_after_reads'][n]:.1f} MB" for n in ("production", "embedded", "ceiling")) + " |"]
    logins, refreshes = report["login_rounds"], report["refresh_rounds"]
    servers = ("production", "embedded")
    # Medians over the rounds; memory as its worst round.
    for key, label, pick in (("rps", "logins/s (4 connections), median round", statistics.median),
                             ("health_p99", "/health p99 during the logins (ms), median round", statistics.median),
                             ("floor_p99", "the ceiling's /hello p99, same probe, same time (ms)", statistics.median),
                             ("rss_peak", "RSS at the end of a login storm (MB), worst round", max),
                             ("rss_10s", "RSS 10 s later (MB), worst round", max)):
        lines.append(f"| {label} | " + " | ".join(f"{pick(r[n][key] for r in logins):.1f}" for n in servers) + " | — |")
    lines.append("| logins vs raw argon2id, median same-round ratio | " + " | ".join(
        f"{statistics.median(r[n]['rps'] / r[n]['argon2'] for r in logins):.0%}" for n in servers) + " | — |")
    lines.append("| refreshes/s (4 chains), median round | " + " | ".join(
        fmt(statistics.median(r[n]["rps"] for r in refreshes)) for n in servers) + " | — |")
    lines += ["", "The /health probe opens a connection per request from Python while the logins "
              "saturate both cores; the same probe takes turns with the ceiling's /hello, whose "
              "process does no hashing: that figure is what the machine itself adds. The raw "
              "argon2id rate (19 MiB, t=2, p=1, on 2 threads: the login's ceiling) is measured "
              "before and after each storm; a storm's ratio is to the mean of those two runs, and "
              "the table shows the mean of a round's runs.", "",
              "| round | raw argon2id /s | " + " | ".join(f"{n} logins/s" for n in servers) + " | "
              + " | ".join(f"{n} refreshes/s" for n in refreshes[0]) + " |",
              "|---|---|" + "---|" * (len(servers) + len(refreshes[0]))]
    for number, (login, refresh) in enumerate(zip(logins, refreshes), 1):
        lines.append(f"| {number} | {login['argon2']:.1f} | "
                     + " | ".join(f"{login[n]['rps']:.1f} ({login[n]['rps'] / login[n]['argon2']:.0%})" for n in servers) + " | "
                     + " | ".join(fmt(r["rps"]) + (f" ({r['non2xx']} refused)" if r["non2xx"] else "") for r in refresh.values()) + " |")
    lines.append("")
    lines += ["## Against connections", "", "![throughput](benchmarks/connections-rps.png)", "![p99](benchmarks/connections-p99.png)", "",
              "| connections | server | req/s | p99 ms |", "|---|---|---|---|"]
    lines += [f"| {c} | {n} | {fmt(r['rps'])} | {r['p99']:.2f} |" for c, n, r in report["sweep"]]
    lines += ["", "## Against data size", "",
              "The article list with `per_page=4` (the same page whatever the size; Castellan also reads the",
              "page's `total`, the tenant's article count kept in `resource_totals`, the ceiling does not) as the demo data grows",
              "1×, 10× and 100× (tenants, users, roles, rules and articles, in the caller's tenant and others),",
              "read by the demo guest (every article of its tenant: the rows the ceiling reads).", "",
              "Each size has its own database, Castellan and ceiling, and the sizes take turns in",
              f"{ROUNDS} rounds of {SWEEP_SECONDS} s runs, each round in the opposite order of the one before;",
              "the ratios are taken within a round and their median shown.", "",
              "![data size](benchmarks/data-size.png)", "",
              "| data | server | req/s | p99 ms | req/s vs 1× | req/s vs ceiling |", "|---|---|---|---|---|---|"]
    lines += [f"| {f}× | {n} | {fmt(r['rps'])} | {r['p99']:.2f} | {vs_first:.0%} | {vs_ceiling} |"
              for f, n, r, vs_first, vs_ceiling in size_rows(report["size"])]
    (DOCS / "benchmarks.md").write_text("\n".join(lines) + "\n")
    plot(report)
    print(f"wrote {DOCS / 'benchmarks.md'} and {PLOTS}/*.png")


def size_rows(size):
    """Per size and server: the median round's figures, the median same-round ratio to the
    1x data and (production) to the ceiling."""
    def run(round_no, factor, name):
        return next(r for n_, f, n, r in size if (n_, f, n) == (round_no, factor, name))
    rounds = sorted({n for n, _, _, _ in size})
    rows = []
    for factor in SIZES:
        for name in ("ceiling", "production"):
            runs = [run(n, factor, name) for n in rounds]
            vs_first = statistics.median(run(n, factor, name)["rps"] / run(n, SIZES[0], name)["rps"] for n in rounds)
            vs_ceiling = "—" if name == "ceiling" else f"{statistics.median(run(n, factor, name)['rps'] / run(n, factor, 'ceiling')['rps'] for n in rounds):.0%}"
            rows.append((factor, name, {"rps": median_of(runs, "rps"), "p99": median_of(runs, "p99")}, vs_first, vs_ceiling))
    return rows


def plot(report):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ("ceiling", "production", "embedded")
    for key, label, file in (("rps", "requests/s", "connections-rps.png"), ("p99", "p99 latency (ms)", "connections-p99.png")):
        fig, ax = plt.subplots(figsize=(6, 4))
        for name in names:
            points = [(c, r[key]) for c, n, r in report["sweep"] if n == name]
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("connections")
        ax.set_ylabel(label)
        ax.set_title(f"Authenticated article list: {label}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(PLOTS / file, dpi=100)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in ("ceiling", "production"):
        points = [(f, r["rps"]) for f, n, r, _, _ in size_rows(report["size"]) if n == name]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("data size (× the demo data)")
    ax.set_ylabel("requests/s")
    ax.set_title("Article list against data size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(PLOTS / "data-size.png", dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
