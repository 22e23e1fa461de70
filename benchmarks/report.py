"""The results table every benchmark prints: each figure beside its same-run baseline."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table as RichTable


@dataclass(frozen=True)
class Result:
    """One line of the results table. ``value`` and ``baseline`` in ``unit`` (None: not measured)."""

    figure: str
    value: float | None
    baseline: float | None
    baseline_name: str
    unit: str
    target: str
    met: bool | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


def render(title: str, results: list[Result], quick: bool) -> RichTable:
    """The table; in ``--quick`` mode the figures are marked meaningless and nothing is judged."""
    table = RichTable(title=title + (" (--quick: smoke run, figures meaningless)" if quick else ""))
    for name in ("figure", "value", "baseline", "ratio", "target", "met"):
        table.add_column(name, justify="left" if name in ("figure", "target") else "right")
    for r in results:
        digits = 2 if r.unit in ("ms", "µs") else 1
        value = r.note or ("—" if r.value is None else f"{r.value:,.{digits}f} {r.unit}")
        baseline = "—" if r.baseline is None else f"{r.baseline:,.{digits}f} ({r.baseline_name})"
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}×"
        met = "n/a" if quick or r.met is None else ("yes" if r.met else "NO")
        table.add_row(r.figure, value, baseline, ratio, r.target, met)
    return table
