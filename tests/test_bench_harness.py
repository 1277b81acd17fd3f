"""The benchmark harness runs once in --quick mode so it cannot rot."""

import json
import os

import pytest

from tests.live_servers import postgres_available, redis_available


@pytest.mark.browser  # needs real servers on this machine, like the browser tests
def test_quick_benchmark_runs_and_delivers_everything(tmp_path):
    if not (postgres_available() and redis_available()):
        pytest.skip("PostgreSQL or Redis not available for the scale-out benchmark")
    from bench import run

    results = run.main(["--quick", "--out", str(tmp_path)])
    written = json.loads((tmp_path / "quick.json").read_text())
    assert written["meta"]["quick"] is True
    for row in written["latency"]:
        for name in ("relay", "channels", "app_embedded", "app_postgres_redis_2_workers"):
            result = row["results"][name]
            assert result["sent"] > 0
            assert result["delivered"] == result["sent"], f"{name} lost messages"
            assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p99"]
        assert row["results"]["app_embedded"]["acked"] == row["results"]["app_embedded"]["sent"]
        assert row["ratios"]["app_embedded"]["p50_vs_relay"] > 0
        for name in ("channels", "app_embedded", "app_postgres_redis_2_workers"):
            assert row["results"][name]["server_cpu_ms_per_message"] > 0
    targets = {row["target"] for row in written["throughput"]}
    assert {"relay", "channels", "app_embedded", "app_postgres_redis_1_worker"} <= targets
    assert written["idle"]["connections"] == 20
    assert written["idle"]["kb_per_connection"] is not None
    pages = written["inbox"]["pages"]
    assert all(page["queries"] > 0 and page["median_ms"] > 0 for page in pages)
    assert results["meta"] == written["meta"]
    assert os.path.exists(tmp_path / "quick.json")
