from sidecar.rpc.latency import OpLatencies, percentile, rss_bytes


def test_percentiles_use_nearest_rank():
    values = sorted(float(v) for v in range(1, 101))
    assert percentile(values, 0.5) == 50.0 and percentile(values, 0.95) == 95.0
    assert percentile([], 0.5) == 0.0


def test_window_keeps_only_recent_samples():
    latencies = OpLatencies(window=10)
    for value in range(100):
        latencies.record("search", float(value))
    summary = latencies.summary()["search"]
    assert summary["n"] == 10 and summary["p50_ms"] == 94.0


def test_rss_is_plausible():
    assert 5_000_000 < rss_bytes() < 20_000_000_000
