"""A benchmark's result rows and how they are printed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured figure, its same-run baseline and the target ratio or floor."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""

    @property
    def ratio(self) -> float | None:
        """``value / baseline``, when there is a baseline."""
        return self.value / self.baseline if self.baseline else None


def format_table(rows: list[Row]) -> str:
    """Render rows as an aligned plain-text table."""
    header = ("benchmark", "figure", "baseline (same run)", "ratio", "target")
    lines = [header]
    for row in rows:
        baseline = f"{row.baseline:,.0f} {row.unit} ({row.baseline_name})" if row.baseline else "-"
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
        lines.append((row.name, f"{row.value:,.0f} {row.unit}", baseline, ratio, row.target))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)
