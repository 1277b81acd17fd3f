"""Run the benchmarks side by side and write JSON results under bench/results/.

    python -m bench.run            # full run (tens of minutes)
    python -m bench.run --quick    # seconds: keeps the harness from rotting (run by the tests)

Every server is a separate process on 127.0.0.1; so is the load client. The machine is
shared and noisy, so each scenario runs the two baselines in the same run:
  relay    - a minimal relay written with the `websockets` library (the machine's limit)
  channels - a bare Channels consumer on daphne, no database (the framework's cost)
and results are reported as ratios against them.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from tests.live_servers import (
    ROOT,
    DemoSite,
    PostgresDatabase,
    RedisServer,
    free_port,
    postgres_available,
    redis_available,
    wait_for_port,
)

RESULTS = ROOT / "bench" / "results"

FULL = {
    "pairs": [100, 500, 1000],
    "rate": 100,
    "duration": 10,
    "throughput_pairs": 100,
    "throughput_rates": [250, 500, 750, 1000],
    "throughput_duration": 5,
    "idle": 2000,
    "inbox": [100_000, 10],
}
QUICK = {
    "pairs": [5],
    "rate": 20,
    "duration": 1,
    "throughput_pairs": 5,
    "throughput_rates": [50],
    "throughput_duration": 1,
    "idle": 20,
    "inbox": [200, 5],
}


#: The benchmarks measure throughput, not the rate limits: those are off.
BENCH_ENV = {"BUERGERCHAT_JSON": '{"MESSAGES_PER_MINUTE": 0, "CONVERSATIONS_PER_HOUR": 0, "UPLOADS_PER_HOUR": 0}'}


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def env_with_root(extra=None):
    return {**os.environ, "PYTHONPATH": str(ROOT), **(extra or {})}


class Process:
    def __init__(self, args, env, port):
        self.port = port
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, self.process)

    @property
    def ws(self):
        return f"ws://127.0.0.1:{self.port}"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def start_relay():
    port = free_port()
    return Process([sys.executable, "-m", "bench.relay_websockets", str(port)], env_with_root(), port)


def start_channels_relay():
    port = free_port()
    env = env_with_root({"DJANGO_SETTINGS_MODULE": "bench.channels_relay.settings"})
    args = [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port), "bench.channels_relay.asgi:application"]
    return Process(args, env, port)


def client(mode, target, citizen_url, pairs, *, staff_url=None, setup=None, rate=None, duration=None, on_phase=None):
    """Run the load client; ``on_phase(name)`` is called when it reports a phase
    ("connected": all sockets open, "measured": sending and delivery done)."""
    args = [sys.executable, "-m", "bench.load_client", mode, "--target", target, "--citizen-url", citizen_url, "--pairs", str(pairs)]
    if staff_url:
        args += ["--staff-url", staff_url]
    if setup:
        args += ["--setup", setup]
    if rate:
        args += ["--rate", str(rate), "--duration", str(duration)]
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(args, cwd=ROOT, env=env_with_root(), stdout=subprocess.PIPE, stderr=stderr, text=True)
        last = None
        for line in process.stdout:
            data = json.loads(line)
            if "phase" in data:
                if on_phase:
                    on_phase(data["phase"])
            else:
                last = data
        if process.wait() != 0 or last is None:
            stderr.seek(0)
            raise RuntimeError(f"load client failed ({' '.join(args[3:])}):\n{stderr.read()[-3000:]}")
    return last


def app_setup(site, count):
    path = Path(tempfile.mkstemp(prefix="buergerchat-bench-", suffix=".json")[1])
    with open(path, "w") as out:
        subprocess.run(
            [sys.executable, "-m", "bench.app_setup", str(count)], cwd=site.root, env=site.env, stdout=out, check=True
        )
    return str(path)


#: Target name -> the server processes behind it, whose CPU time is measured.
SERVER_PIDS = {}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def measured_client(name, *args, **kwargs):
    """Run the load client; add the servers' CPU time per delivered message, counted
    while the messages flow. On a shared, busy machine this is steadier than the
    latencies: it counts the work, not the waiting for a core. The grace period for
    late deliveries is included, so idle sockets' work (little) counts too."""
    pids = SERVER_PIDS.get(name, [])
    marks = {}

    def on_phase(phase):
        if pids:
            marks[phase] = cpu_seconds(pids)

    result = client(*args, on_phase=on_phase, **kwargs)
    if "connected" in marks and "measured" in marks and result.get("delivered"):
        # Only while messages flow: opening and authenticating the sockets is not counted.
        used = marks["measured"] - marks["connected"]
        result["server_cpu_s"] = round(used, 3)
        result["server_cpu_ms_per_message"] = round(used * 1000 / result["delivered"], 3)
        if result.get("acked"):
            # Under overload messages are stored and acknowledged but delivered after the
            # grace period: their work counts above, they do not. Per stored message:
            result["server_cpu_ms_per_acked_message"] = round(used * 1000 / result["acked"], 3)
    return result


def ratio(value, baseline):
    if value is None or not baseline:
        return None
    return round(value / baseline, 2)


def latency_scenarios(config, targets):
    """targets: name -> (citizen_url, staff_url, setup, target_type)."""
    rows = []
    for pairs in config["pairs"]:
        row = {"pairs": pairs, "rate": config["rate"], "results": {}}
        for name, (citizen_url, staff_url, setup, kind) in targets.items():
            row["results"][name] = measured_client(
                name, "latency", kind, citizen_url, pairs, staff_url=staff_url, setup=setup,
                rate=config["rate"], duration=config["duration"],
            )
        relay = row["results"]["relay"]["latency_ms"]
        channels = row["results"]["channels"]["latency_ms"]
        row["ratios"] = {
            name: {
                f"{p}_vs_relay": ratio(result["latency_ms"][p], relay[p]) for p in ("p50", "p99")
            } | {f"{p}_vs_channels": ratio(result["latency_ms"][p], channels[p]) for p in ("p50", "p99")}
            for name, result in row["results"].items()
            if name not in ("relay", "channels")
        }
        rows.append(row)
        print(f"  latency {pairs} pairs: " + ", ".join(
            f"{n} p50={r['latency_ms']['p50'] and round(r['latency_ms']['p50'], 2)} p99={r['latency_ms']['p99'] and round(r['latency_ms']['p99'], 2)}"
            f" cpu/msg={r.get('server_cpu_ms_per_message')}"
            for n, r in row["results"].items()
        ), flush=True)
    return rows


def throughput_scenarios(config, targets):
    rows = []
    for name, (citizen_url, staff_url, setup, kind) in targets.items():
        for rate in config["throughput_rates"]:
            result = measured_client(
                name, "latency", kind, citizen_url, config["throughput_pairs"], staff_url=staff_url, setup=setup,
                rate=rate, duration=config["throughput_duration"],
            )
            rows.append({**result, "target": name, "kind": result["target"], "rate_offered": rate})
            print(f"  throughput {name} offered {rate}/s: delivered {result['throughput_msgs_per_s']}/s, "
                  f"p99 {result['latency_ms']['p99']}, lost {result['lost']}, "
                  f"server CPU {result.get('server_cpu_ms_per_message')} ms/message", flush=True)
    return rows


def idle_scenario(site, config, setup):
    worker = site.worker().start()
    time.sleep(1.0)
    before = worker.rss_bytes()
    args = [sys.executable, "-m", "bench.load_client", "idle", "--target", "app",
            "--citizen-url", f"ws://127.0.0.1:{worker.port}", "--setup", setup, "--pairs", str(config["idle"])]
    proc = subprocess.Popen(args, cwd=ROOT, env=env_with_root(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    opened = json.loads(proc.stdout.readline())["open"]
    time.sleep(2.0)
    after = worker.rss_bytes()
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(timeout=60)
    worker.stop()
    return {
        "connections": opened,
        "rss_before_mb": round(before / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "kb_per_connection": round((after - before) / opened / 1024, 1) if opened else None,
    }


def inbox_scenario(config):
    database = PostgresDatabase()
    site = DemoSite(database_url=database.url, extra_env=BENCH_ENV)
    try:
        site.manage("migrate", "--noinput", "-v0")
        site.manage("load_demo")
        conversations, per = config["inbox"]
        result = subprocess.run(
            [sys.executable, "-m", "bench.inbox", str(conversations), str(per)],
            cwd=ROOT, env=site.env, capture_output=True, text=True, check=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        site.cleanup()
        database.drop()


def ab_ratios(results):
    """after / before of every app target measured at both revisions: CPU per message
    and p50/p99 latency, per scenario (below 1: the change helped)."""
    def pair(after, before):
        return {
            "cpu_per_message": ratio(after.get("server_cpu_ms_per_message"), before.get("server_cpu_ms_per_message")),
            "p50": ratio(after["latency_ms"]["p50"], before["latency_ms"]["p50"]),
            "p99": ratio(after["latency_ms"]["p99"], before["latency_ms"]["p99"]),
            "delivered_per_s": ratio(after["throughput_msgs_per_s"], before["throughput_msgs_per_s"]),
        }

    ratios = {}
    for row in results.get("latency", []):
        for name, result in row["results"].items():
            before = row["results"].get(name + "_before")
            if before:
                ratios[f"latency {row['pairs']} {name}"] = pair(result, before)
    rows = {(r["target"], r["rate_offered"]): r for r in results.get("throughput", [])}
    for (name, rate), result in rows.items():
        before = rows.get((name + "_before", rate))
        if before:
            ratios[f"throughput {rate} {name}"] = pair(result, before)
    return ratios


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--only", nargs="*", help="latency throughput idle inbox")
    parser.add_argument("--pairs", type=int, nargs="*", help="override: open conversations per latency step")
    parser.add_argument("--rate", type=int, help="override: messages/s in total in the latency steps")
    parser.add_argument("--duration", type=int, help="override: seconds per latency step")
    parser.add_argument("--throughput-rates", type=int, nargs="*", help="override: offered rates")
    parser.add_argument("--idle", type=int, help="override: idle connections")
    parser.add_argument("--inbox", type=int, nargs=2, metavar=("CONVERSATIONS", "MESSAGES_EACH"))
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL + Redis targets")
    parser.add_argument("--ab", metavar="REF", help="also measure the app at git REF side by side (targets *_before)")
    parser.add_argument("--name", help="result file name (default: run-<time>.json)")
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL)
    for key in ("pairs", "rate", "duration", "throughput_rates", "idle", "inbox"):
        value = getattr(args, key)
        if value:
            config[key] = value
    wanted = set(args.only or ["latency", "throughput", "idle", "inbox"])
    raise_fd_limit()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "quick": args.quick,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": config,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        # What else ran: the load average before and after (1, 5, 15 minutes).
        "load_before": list(os.getloadavg()),
    }
    results = {"meta": meta}
    max_pairs = max(config["pairs"] + [config["throughput_pairs"]])
    have_pg = postgres_available() and redis_available() and not args.no_postgres

    relay, channels_relay = start_relay(), start_channels_relay()
    targets = {
        "relay": (relay.ws, None, None, "relay"),
        "channels": (channels_relay.ws, None, None, "channels"),
    }
    SERVER_PIDS.update(relay=[relay.process.pid], channels=[channels_relay.process.pid])
    # A/B: the app of another revision (a git worktree) measured beside this one, in
    # the same run, scenario by scenario: "<target>_before".
    checkouts = [("", ROOT)]
    if args.ab:
        before_root = Path(tempfile.mkdtemp(prefix="buergerchat-ab-")) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(before_root), args.ab], cwd=ROOT, check=True,
                       capture_output=True)
        meta["ab"] = {
            "before": subprocess.run(["git", "rev-parse", args.ab], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
            "after": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
            + (" + uncommitted changes" if subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                                         cwd=ROOT, capture_output=True, text=True).stdout.strip() else ""),
        }
        checkouts.insert(0, ("_before", before_root))
    embedded_sites, embedded_setups, embedded_workers, pg_parts = [], {}, [], []
    for suffix, root in checkouts:
        embedded = DemoSite(extra_env={**BENCH_ENV, "BUERGERCHAT_LOG_LEVEL": "WARNING"}, root=root).prepare()
        embedded_setup = app_setup(embedded, max(max_pairs, config["idle"]))
        embedded_worker = embedded.worker().start()
        embedded_sites.append(embedded)
        embedded_setups[suffix] = embedded_setup
        embedded_workers.append(embedded_worker)
        targets["app_embedded" + suffix] = (f"ws://127.0.0.1:{embedded_worker.port}", None, embedded_setup, "app")
        SERVER_PIDS["app_embedded" + suffix] = [embedded_worker.process.pid]
        if have_pg:
            database, redis = PostgresDatabase(), RedisServer().start()
            scaled = DemoSite(database_url=database.url, redis_url=redis.url, extra_env=BENCH_ENV, root=root).prepare()
            scaled_setup = app_setup(scaled, max_pairs)
            worker_a, worker_b = scaled.worker().start(), scaled.worker().start()
            targets["app_postgres_redis_2_workers" + suffix] = (
                f"ws://127.0.0.1:{worker_a.port}", f"ws://127.0.0.1:{worker_b.port}", scaled_setup, "app"
            )
            pg_parts.append((database, redis, scaled, worker_a, worker_b))
            # The ASGI workers' CPU only (PostgreSQL and Redis are their own processes).
            SERVER_PIDS["app_postgres_redis_2_workers" + suffix] = [worker_a.process.pid, worker_b.process.pid]
            SERVER_PIDS["app_postgres_redis_1_worker" + suffix] = [worker_a.process.pid]
    if not have_pg:
        meta["skipped"] = "PostgreSQL or Redis not available: scale-out and inbox scenarios not run"
    embedded, embedded_setup = embedded_sites[-1], embedded_setups[""]

    try:
        if "latency" in wanted:
            print("latency", flush=True)
            results["latency"] = latency_scenarios(config, targets)
        if "throughput" in wanted:
            print("throughput", flush=True)
            one_worker = {k: v for k, v in targets.items() if not k.startswith("app_postgres_redis_2_workers")}
            for suffix, _ in checkouts if have_pg else ():
                # One worker on PostgreSQL + Redis: citizen and staff on the same process.
                two = targets["app_postgres_redis_2_workers" + suffix]
                one_worker["app_postgres_redis_1_worker" + suffix] = (two[0], None, two[2], "app")
            results["throughput"] = throughput_scenarios(config, one_worker)
        if args.ab:
            results["ab"] = ab_ratios(results)
            print(f"  A/B (after / before): {json.dumps(results['ab'])}", flush=True)
    except Exception:
        # The servers' own logs say why a client failed (they are deleted below).
        for site in embedded_sites + [parts[2] for parts in pg_parts]:
            print(f"--- server log ({site.var_dir}):\n{site.log_text()[-4000:]}", file=sys.stderr)
        raise
    finally:
        for worker in embedded_workers:
            worker.stop()
        relay.stop()
        channels_relay.stop()
        for database, redis, scaled, worker_a, worker_b in pg_parts:
            worker_b.stop()
            worker_a.stop()
            redis.stop()
            scaled.cleanup()
            redis.cleanup()
            database.drop()
        for site in embedded_sites[:-1]:
            site.cleanup()
        if args.ab:
            subprocess.run(["git", "worktree", "remove", "--force", str(before_root)], cwd=ROOT, capture_output=True)

    if "idle" in wanted:
        print("idle connections", flush=True)
        results["idle"] = idle_scenario(embedded, config, embedded_setup)
        print(f"  {results['idle']}", flush=True)
    embedded.cleanup()
    if "inbox" in wanted and have_pg:
        print("inbox", flush=True)
        results["inbox"] = inbox_scenario(config)
        print(f"  {results['inbox']}", flush=True)

    meta["load_after"] = list(os.getloadavg())
    name = args.name or ("quick.json" if args.quick else f"run-{meta['started'].replace(':', '')}.json")
    (out / name).write_text(json.dumps(results, indent=2))
    if not args.quick and not args.ab:
        (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {out / name}")
    return results


if __name__ == "__main__":
    main()
