"""bench/bench_bot.py keeps the hand-written dated subsections of RESULTS.md's "## Bot" section."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import bench_bot  # noqa: E402


def test_dated_subsections_kept_generated_ones_not():
    text = ("# R\n\n## Search\n\n### Other (x)\n\nz\n\n## Bot\n\nintro\n\n### NLU pipelines\n\ntable\n\n"
            "### NLU: data (2026-11-26, 20:56 UTC)\n\nbefore/after\n\n### Serving\n\nlatency\n\n## Next\n\nq\n")
    kept = bench_bot._kept_subsections(text)
    assert kept == ["### NLU: data (2026-11-26, 20:56 UTC)", "", "before/after", ""]


def test_a_partial_run_keeps_the_generated_subsection_it_did_not_measure():
    """`bench_bot.py serve` alone once dropped the pipeline comparison the issue asks to keep."""
    text = ("## Bot\n\nintro\n\n### NLU pipelines\n\n| pipeline | F1 |\n\n### NLU: data (2026-11-26)\n\nx\n\n"
            "### Serving\n\nlatency\n\n## Next\n")
    assert bench_bot._generated_subsection("### NLU pipelines", text) == ["### NLU pipelines", "", "| pipeline | F1 |", ""]
    assert bench_bot._generated_subsection("### Serving", text) == ["### Serving", "", "latency", ""]
    assert bench_bot._generated_subsection("### Serving", "## Bot\n\nintro\n") == []


def test_cv_compares_the_pipeline_config_yml_runs():
    """`bench_bot.py cv`'s first pipeline is config.yml's own (it once described an older classifier)."""
    import yaml
    name, pipeline = bench_bot.config_yml_pipeline()
    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "config.yml").read_text())
    assert yaml.safe_load(bench_bot._config(pipeline))["pipeline"] == config["pipeline"]
    assert name.startswith("config.yml: ")
    assert not any("C=10" in n for n in bench_bot.PIPELINES)
