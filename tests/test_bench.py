"""The benchmark script runs (quick mode) and writes its JSON report."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_quick(tmp_path):
    output = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pdf_transcripts.py"), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(output.read_text())
    (row,) = report["results"]
    assert row["messages"] == row["message_count"] == 20
    assert row["seconds"] > 0
    assert row["peak_rss_mb"] >= row["rss_before_render_mb"] > 0
    assert row["pdfa_part"] == "3"
    assert "20 messages" in result.stdout
