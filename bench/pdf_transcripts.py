#!/usr/bin/env python3
"""Benchmark: PDF/A transcript rendering time and peak memory by conversation length.

Each size renders in its own Python process, so the peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) belongs to that one transcript. The
render is the real one (``pdf.render_transcript``: Django template, WeasyPrint,
PDF/A-3b; long transcripts in parts in worker processes, see files/pdf_render.py),
fed with unsaved model instances so no database is involved. The workers' CPU
time and memory are reported too (RUSAGE_CHILDREN, and the sum of the process and
its workers sampled with psutil).

    python bench/pdf_transcripts.py                 # 100, 1,000 and 5,000 messages
    python bench/pdf_transcripts.py --quick         # 20 messages (the test suite runs this)
    python bench/pdf_transcripts.py --sizes 50,500 --output /tmp/bench.json
    python bench/pdf_transcripts.py --chunk-size 0  # long transcripts in one piece too

Results are printed as a table and written as JSON to bench/results/ (or --output).
"""

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (100, 1000, 5000)
QUICK_SIZES = (20,)
BODIES = [
    "Guten Tag, ich plane einen Carport auf meinem Grundstück in der Lindenstraße 12. Brauche ich dafür eine Baugenehmigung?",
    "Für Carports bis 30 m² Grundfläche ist in der Regel keine Genehmigung nötig, wenn der Bebauungsplan nichts anderes bestimmt.",
    "Danke! Der Carport wird 5 × 6 m groß, also 30 m². Gilt die Grenzbebauung trotzdem?\nIch lege den Lageplan bei.",
    "Ja, an der Grundstücksgrenze ist er bis 9 m Länge zulässig. Bitte beachten Sie den Abstand zur Straße (3 m).",
]


def peak_rss_mb(who=resource.RUSAGE_SELF):
    # Linux reports ru_maxrss in kilobytes. RUSAGE_CHILDREN: the largest of the ended
    # child processes (the render's worker processes), not their sum.
    return resource.getrusage(who).ru_maxrss / 1024


class TreeSampler(threading.Thread):
    """Samples the memory of this process plus all its child processes every
    ``interval`` seconds: the largest sums seen (the parent and the render's workers
    at the same moment) of the resident set sizes (shared library pages counted in
    every process) and of the proportional set sizes (shared pages divided among the
    processes that share them). Needs psutil (the ``bench`` extra)."""

    def __init__(self, interval=0.1):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_mb = None
        self.peak_pss_mb = None
        self.worker_peak_mb = None
        self.stopped = threading.Event()

    def run(self):
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        self.peak_mb = self.peak_pss_mb = self.worker_peak_mb = 0.0
        while not self.stopped.is_set():
            rss = pss = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    memory = process.memory_full_info()
                except psutil.Error:
                    continue
                rss += memory.rss
                pss += getattr(memory, "pss", memory.rss)
                if process.pid != me.pid:
                    self.worker_peak_mb = max(self.worker_peak_mb, memory.rss / 1024 / 1024)
            self.peak_mb = max(self.peak_mb, rss / 1024 / 1024)
            self.peak_pss_mb = max(self.peak_pss_mb, pss / 1024 / 1024)
            self.stopped.wait(self.interval)

    def stop(self):
        """``(peak RSS sum, peak PSS sum, largest worker's RSS)`` in MB (None without psutil)."""
        self.stopped.set()
        self.join()
        if self.peak_mb is None:
            return None, None, None
        return round(self.peak_mb, 1), round(self.peak_pss_mb, 1), round(self.worker_peak_mb, 1)


def child(size):
    """Render one transcript of ``size`` messages and print one JSON line."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    import io

    import pikepdf
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from buergerchat_wagtail.files import pdf
    from buergerchat_wagtail.models import Conversation, Department, Message, SenderType, TranscriptKind
    from buergerchat_wagtail.models.attachments import cache_no_attachment

    department = Department(pk=1, name="Bauverwaltung", slug="bauverwaltung")
    start = timezone.now() - datetime.timedelta(days=30)
    conversation = Conversation(
        pk=1, department=department, reference="BC-BENC-H000", subject="Carport an der Grundstücksgrenze",
        citizen_name="Erika Mustermann", secret_hash="x" * 64, created_at=start,
    )
    staff = get_user_model()(pk=1, username="bauamt", first_name="Berta", last_name="Baumann")
    messages = []
    for number in range(size):
        citizen = number % 2 == 0
        message = Message(
            pk=number + 1,
            conversation=conversation,
            sender=SenderType.CITIZEN if citizen else SenderType.STAFF,
            author=None if citizen else staff,
            body=BODIES[number % len(BODIES)],
            created_at=start + datetime.timedelta(minutes=7 * number),
        )
        cache_no_attachment(message)
        messages.append(message)
    branding = pdf.Branding(city_name="Stadt Musterstadt", logo=None)
    overrides = {
        key: int(os.environ[f"BENCH_{key}"]) for key in ("PDF_CHUNK_SIZE", "PDF_WORKERS") if f"BENCH_{key}" in os.environ
    }
    if overrides:
        from django.conf import settings

        settings.BUERGERCHAT = {**getattr(settings, "BUERGERCHAT", {}), **overrides}
        from buergerchat_wagtail.conf import buergerchat_settings

        buergerchat_settings.reload()
    before = peak_rss_mb()
    children_before = peak_rss_mb(resource.RUSAGE_CHILDREN)
    sampler = TreeSampler()
    sampler.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    children_started = resource.getrusage(resource.RUSAGE_CHILDREN)
    data, info = pdf.render_transcript(conversation, messages, kind=TranscriptKind.ARCHIVE, branding=branding)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = (children.ru_utime + children.ru_stime) - (children_started.ru_utime + children_started.ru_stime)
    tree_peak, tree_pss_peak, worker_peak = sampler.stop()
    with pikepdf.open(io.BytesIO(data)) as document:
        pages = len(document.pages)
        part = str(document.open_metadata().get("pdfaid:part"))
    print(
        json.dumps(
            {
                "messages": size,
                "seconds": round(seconds, 3),
                # CPU time of this process: on a shared, busy machine closer to what a
                # quiet machine's wall-clock time would be than the wall clock here.
                "cpu_seconds": round(cpu_seconds, 3),
                # CPU time of the worker processes of a long transcript (rendered in parts).
                "children_cpu_seconds": round(children_cpu, 3),
                "peak_rss_mb": round(peak_rss_mb(), 1),
                # The largest ended child process (RUSAGE_CHILDREN). Linux carries the starting
                # process's resident size into a new child's peak, so this is at least this
                # process's size when a worker was started: see worker_peak_rss_mb instead.
                "children_peak_rss_mb": round(peak_rss_mb(resource.RUSAGE_CHILDREN), 1),
                # The same before the render (a helper process started during the setup).
                "children_peak_rss_before_render_mb": round(children_before, 1),
                # Sampled every 100 ms: this process and its workers together (None without psutil).
                "tree_peak_rss_mb": tree_peak,
                # The same for the proportional set size (shared pages counted once in all).
                "tree_peak_pss_mb": tree_pss_peak,
                # The largest RSS of one worker process, sampled the same way.
                "worker_peak_rss_mb": worker_peak,
                "rss_before_render_mb": round(before, 1),
                "pages": pages,
                "pdf_bytes": len(data),
                "pdfa_part": part,
                "message_count": info["message_count"],
            }
        )
    )


def run(sizes):
    results = []
    for size in sizes:
        process = subprocess.run(
            [sys.executable, __file__, "--child", str(size)], capture_output=True, text=True, cwd=ROOT, check=False
        )
        if process.returncode != 0:
            sys.stderr.write(process.stderr)
            raise SystemExit(f"benchmark of {size} messages failed")
        result = json.loads(process.stdout.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{result['messages']:>6} messages  {result['seconds']:>8.2f} s ({result['cpu_seconds']:.2f} s CPU"
            f" + {result['children_cpu_seconds']:.2f} s in workers)  peak RSS {result['peak_rss_mb']:>7.1f} MB"
            f"  (before render {result['rss_before_render_mb']:.1f} MB, largest worker {result['worker_peak_rss_mb']} MB,"
            f" all together {result['tree_peak_rss_mb']} MB RSS, {result['tree_peak_pss_mb']} MB PSS)  {result['pages']:>5} pages  "
            f"{result['pdf_bytes'] / 1024:>8.0f} KiB",
            flush=True,
        )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small transcript (for the test suite)")
    parser.add_argument("--sizes", help="comma-separated message counts")
    parser.add_argument("--output", help="JSON file (default: bench/results/pdf_transcripts[-quick].json)")
    parser.add_argument(
        "--chunk-size", type=int, help='BUERGERCHAT["PDF_CHUNK_SIZE"] (default: the setting; 0: in one piece)'
    )
    parser.add_argument("--workers", type=int, help='BUERGERCHAT["PDF_WORKERS"] (default: the setting)')
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.chunk_size is not None:
        os.environ["BENCH_PDF_CHUNK_SIZE"] = str(args.chunk_size)
    if args.workers is not None:
        os.environ["BENCH_PDF_WORKERS"] = str(args.workers)
    if args.child:
        child(args.child)
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    results = run(sizes)
    import weasyprint

    report = {
        "benchmark": "pdf_transcripts",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "weasyprint": weasyprint.__version__,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "settings": {"PDF_CHUNK_SIZE": args.chunk_size, "PDF_WORKERS": args.workers},  # None: the default
        "memory_measure": (
            "peak resident set size of a fresh process per size (getrusage ru_maxrss); children_peak_rss_mb: "
            "the largest worker process (RUSAGE_CHILDREN); tree_peak_rss_mb: the process and its workers "
            "together, sampled every 100 ms (RSS and PSS sums)"
        ),
        "results": results,
    }
    name = "pdf_transcripts-quick.json" if args.quick else "pdf_transcripts.json"
    output = Path(args.output) if args.output else ROOT / "bench" / "results" / name
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")


if __name__ == "__main__":
    main()
