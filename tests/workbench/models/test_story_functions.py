"""The template functions scenarios tell their stories with: shapes over the run, spikes,
running balances and stages, each kept per call site."""

from __future__ import annotations

import json
import math

import pytest

from workbench.models.event_templates import TemplateError, TemplateRenderer, template_from_json


def _values(body: dict[str, str], count: int, seed: int = 3) -> list[dict[str, object]]:
    template = template_from_json(json.dumps({"body": body, "seed": seed}))
    return [json.loads(e.data) for e in TemplateRenderer(template).render_batch(count)]


def test_wave_curve_and_drift_follow_the_event_count_per_call_site() -> None:
    rows = _values(
        {
            "wave": "{{ wave(10, 5, 4) }}",
            "curve": "{{ curve([[0, 60], [4, 100], [8, 80]], period=10) }}",
            "drift": "{{ drift(20, 0.5) }}",
            "other": "{{ drift(0, 1) }}",
        },
        12,
    )
    assert [r["wave"] for r in rows[:5]] == pytest.approx([10, 15, 10, 5, 10], abs=1e-9)
    assert [r["curve"] for r in rows] == [60, 70, 80, 90, 100, 95, 90, 85, 80, 80, 60, 70]
    assert [r["drift"] for r in rows[:3]] == [20, 20.5, 21]
    assert [r["other"] for r in rows[:3]] == [0, 1, 2]  # its own count


def test_noise_and_spikes_are_seeded_and_bounded() -> None:
    first = _values({"n": "{{ wave(100, 0, 10, noise=2) }}", "s": "{{ spike(0.1, 50, 1) }}"}, 2000)
    again = _values({"n": "{{ wave(100, 0, 10, noise=2) }}", "s": "{{ spike(0.1, 50, 1) }}"}, 2000)
    assert first == again
    spikes = [r["s"] for r in first]
    assert set(spikes) == {1, 51} and 100 < spikes.count(51) < 300  # about 10 %
    mean = sum(float(r["n"]) for r in first) / len(first)  # type: ignore[arg-type]
    assert math.isclose(mean, 100, abs_tol=0.3)


def test_a_ledger_keeps_each_accounts_balance() -> None:
    rows = _values({"t": "{{ ledger(cycle(['a', 'b']), counter(), start=100) }}"}, 6)
    changes = [r["t"] for r in rows]
    assert changes[0] == {"key": "a", "before": 100.0, "amount": 1, "after": 101.0}
    assert changes[2] == {"key": "a", "before": 101.0, "amount": 3, "after": 104.0}
    assert changes[5] == {"key": "b", "before": 106.0, "amount": 6, "after": 112.0}


def test_stages_advance_per_key_and_start_again() -> None:
    rows = _values({"s": "{{ stage(cycle(['x', 'y']), ['created', 'moving', 'done']) }}"}, 8)
    xs = [r["s"] for r in rows if r["s"]["key"] == "x"]  # type: ignore[index]
    assert [s["stage"] for s in xs] == ["created", "moving", "done", "created"]  # type: ignore[index]
    assert xs[1] == {"key": "x", "stage": "moving", "step": 2, "steps": 3}


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("wave(1, 1, 0)", "period above 0"),
        ("curve([[2, 1], [1, 2]])", "rise"),
        ("curve([1, 2])", r"\[n, value\] pairs"),
        ("spike(2, 1)", "chance from 0 to 1"),
        ("ledger(none, 1)", "key"),
        ("stage('k', [])", "at least one value"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(expression: str, words: str) -> None:
    with pytest.raises(TemplateError, match=words):
        _values({"x": "{{ " + expression + " }}"}, 1)
