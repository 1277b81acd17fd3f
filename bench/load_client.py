"""Benchmark client, run as its own process so it never shares a CPU slice with the
server's event loop in a way we do not see.

    python -m bench.load_client latency --target app --citizen-url ws://127.0.0.1:8001 \
        --staff-url ws://127.0.0.1:8002 --setup setup.json --pairs 500 --rate 100 --duration 10
    python -m bench.load_client idle --target app --citizen-url ws://127.0.0.1:8001 --setup setup.json --pairs 2000

Targets: ``relay`` (bench.relay_websockets), ``channels`` (bench.channels_relay) and
``app`` (the Bürgerchat consumers: citizen socket authenticated with its secret, staff
socket with a session cookie, subscribed to the conversation). Latency is measured
from the citizen's send to the staff socket receiving the stored message.
Prints one JSON object.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid

from websockets.asyncio.client import connect

CONNECT_BATCH = 100


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Target:
    def __init__(self, args):
        self.args = args
        self.conversations = []
        if args.setup:
            with open(args.setup) as f:
                self.conversations = json.load(f)["conversations"]

    def origin(self, url):
        return url.replace("ws://", "http://").split("/ws/")[0].rstrip("/")

    async def open_citizen(self, index):
        a = self.args
        if a.target == "relay":
            return await connect(f"{a.citizen_url}/{index}/citizen", max_queue=None)
        if a.target == "channels":
            return await connect(f"{a.citizen_url}/ws/relay/{index}/citizen/", max_queue=None)
        conversation = self.conversations[index]
        ws = await connect(
            f"{a.citizen_url}/ws/buergerchat/citizen/", origin=self.origin(a.citizen_url), max_queue=None
        )
        await ws.send(json.dumps({"v": 1, "type": "auth", "secret": conversation["secret"], "after": 10**12}))
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "ready":
                return ws
            if frame["type"] == "error":
                raise RuntimeError(f"auth refused: {frame}")

    async def open_staff(self, index):
        a = self.args
        url = a.staff_url or a.citizen_url
        if a.target == "relay":
            return await connect(f"{url}/{index}/staff", max_queue=None)
        if a.target == "channels":
            return await connect(f"{url}/ws/relay/{index}/staff/", max_queue=None)
        conversation = self.conversations[index]
        ws = await connect(
            f"{url}/ws/buergerchat/staff/",
            origin=self.origin(url),
            additional_headers={"Cookie": f"sessionid={conversation['staff_cookie']}"},
            max_queue=None,
        )
        await ws.send(
            json.dumps({"v": 1, "type": "subscribe", "conversation": conversation["id"], "after": 10**12})
        )
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "ready":
                return ws
            if frame["type"] == "error":
                raise RuntimeError(f"subscribe refused: {frame}")

    def message(self, client_id):
        if self.args.target == "app":
            return json.dumps({"v": 1, "type": "message", "client_id": client_id, "body": f"Messung {client_id}"})
        return json.dumps({"client_id": client_id})

    @staticmethod
    def delivered_client_id(text):
        frame = json.loads(text)
        if "client_id" in frame and "type" not in frame:
            return frame["client_id"]
        if frame.get("type") == "message":
            return frame["message"]["client_id"]
        return None


async def open_many(factory, count):
    sockets = []
    for start in range(0, count, CONNECT_BATCH):
        batch = range(start, min(count, start + CONNECT_BATCH))
        sockets.extend(await asyncio.gather(*(factory(i) for i in batch)))
    return sockets


async def resync_stored(target, staff, lost_by_index):
    """Ask the server (staff ``sync`` on each affected conversation) which of the lost
    client ids are stored: those a client's resync would still deliver."""
    stored = set()
    for index, client_ids in lost_by_index.items():
        ws = staff[index]
        conversation = target.conversations[index]["id"]
        after = 0
        while True:
            await ws.send(json.dumps({"v": 1, "type": "sync", "conversation": conversation, "after": after}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame.get("type") == "messages" and frame.get("conversation") == conversation:
                    break
                if frame.get("type") == "error":
                    raise RuntimeError(f"sync refused: {frame}")
            batch = frame["messages"]
            stored.update(m["client_id"] for m in batch if m.get("client_id") in client_ids)
            if not batch:
                break
            after = batch[-1]["id"]
    return stored


async def run_latency(args):
    target = Target(args)
    citizens = await open_many(target.open_citizen, args.pairs)
    staff = await open_many(target.open_staff, args.pairs)
    # The orchestrator measures the servers' CPU between these two lines.
    print(json.dumps({"phase": "connected"}), flush=True)
    sent_at = {}
    index_of = {}
    delivered = set()
    latencies = []
    acked_ids = set()
    duplicates = 0
    errors = 0

    async def read_staff(ws):
        nonlocal duplicates
        async for text in ws:
            client_id = target.delivered_client_id(text)
            if not client_id or client_id not in index_of:
                continue
            if client_id in delivered:
                duplicates += 1
                continue
            delivered.add(client_id)
            started = sent_at.pop(client_id, None)
            if started is not None:
                latencies.append((time.perf_counter() - started) * 1000)

    async def read_citizen(ws):
        nonlocal errors
        async for text in ws:
            frame = json.loads(text)
            if frame.get("type") == "ack":
                acked_ids.add(frame.get("client_id"))
            elif frame.get("type") == "error":
                errors += 1

    readers = [asyncio.create_task(read_staff(ws)) for ws in staff]
    if args.target == "app":
        readers += [asyncio.create_task(read_citizen(ws)) for ws in citizens]

    total = int(args.rate * args.duration)
    interval = 1.0 / args.rate
    start = time.perf_counter()
    for k in range(total):
        due = start + k * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        client_id = str(uuid.uuid4())
        sent_at[client_id] = time.perf_counter()
        index_of[client_id] = k % args.pairs
        await citizens[k % args.pairs].send(target.message(client_id))
    send_seconds = time.perf_counter() - start
    deadline = time.perf_counter() + args.grace
    while sent_at and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    print(json.dumps({"phase": "measured"}), flush=True)
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    lost = set(sent_at)
    # Every message not delivered live within the grace period, classified: stored
    # (a resync delivers it; with or without its ack reaching the citizen) or missing.
    # An acknowledged message that is missing would be a bug.
    classified = None
    if args.target == "app":
        by_index = {}
        for client_id in lost:
            by_index.setdefault(index_of[client_id], set()).add(client_id)
        stored = await resync_stored(target, staff, by_index) if by_index else set()
        classified = {
            "acked_stored": len(lost & stored & acked_ids),
            "stored_not_acked": len((lost & stored) - acked_ids),
            "acked_missing": len((lost & acked_ids) - stored),
            "not_acked_missing": len(lost - stored - acked_ids),
        }
    for ws in citizens + staff:
        await ws.close()
    return {
        "mode": "latency",
        "target": args.target,
        "pairs": args.pairs,
        "rate_offered": args.rate,
        "duration_s": args.duration,
        "sent": total,
        "delivered": len(latencies),
        "acked": len(acked_ids) if args.target == "app" else None,
        "errors": errors,
        "lost": len(lost),
        "lost_classified": classified,
        "delivered_twice": duplicates,
        "send_seconds": round(send_seconds, 3),
        "throughput_msgs_per_s": round(len(latencies) / elapsed, 1) if elapsed else None,
        "latency_ms": {
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies) if latencies else None,
            "mean": statistics.fmean(latencies) if latencies else None,
        },
    }


async def run_idle(args):
    target = Target(args)
    sockets = await open_many(target.open_citizen, args.pairs)
    print(json.dumps({"mode": "idle", "open": len(sockets)}), flush=True)
    # Hold the sockets until the orchestrator has measured the server, then close.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for ws in sockets:
        await ws.close()
    return None


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["latency", "idle"])
    parser.add_argument("--target", choices=["relay", "channels", "app"], required=True)
    parser.add_argument("--citizen-url", required=True)
    parser.add_argument("--staff-url")
    parser.add_argument("--setup")
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--grace", type=float, default=10)
    args = parser.parse_args(argv)
    result = asyncio.run(run_latency(args) if args.mode == "latency" else run_idle(args))
    if result is not None:
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
