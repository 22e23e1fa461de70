"""The interval arithmetic of continuity (Art. 35), with hypothesis, and the clock correction."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lawtrail.domain.activities import (
    AV_REQUIRED_KINDS,
    ActivityKind,
    Clip,
    Span,
    check_span,
    clip_span,
    covered,
    gaps,
    intersect,
    merge,
)
from lawtrail.domain.org import Problems

T = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def span(a: float, b: float) -> Span:
    return Span(at(a), at(b))


def total(spans: list[Span]) -> timedelta:
    return sum((s.length for s in spans), timedelta(0))


spans_st = st.lists(st.tuples(st.integers(-100, 1100), st.integers(0, 400)).map(
    lambda p: span(p[0], p[0] + p[1])), max_size=12)
whole_st = st.tuples(st.integers(0, 500), st.integers(1, 600)).map(lambda p: span(p[0], p[0] + p[1]))


def test_merge_joins_overlapping_and_touching_and_drops_empty() -> None:
    assert merge([span(10, 20), span(0, 5), span(5, 8), span(15, 30), span(40, 40)]) == [span(0, 8), span(10, 30)]


def test_gaps_of_a_span_with_two_clips_and_a_five_minute_hole() -> None:
    whole = span(0, 1200)
    clips = [span(-5, 400), span(700, 1210)]
    assert covered(whole, clips) == [span(0, 400), span(700, 1200)]
    assert gaps(whole, clips, timedelta(seconds=30)) == [span(400, 700)]
    assert gaps(whole, clips, timedelta(seconds=300)) == []  # exactly the tolerance is not a gap


def test_gaps_at_the_edges_count() -> None:
    assert gaps(span(0, 100), [span(40, 60)]) == [span(0, 40), span(60, 100)]
    assert gaps(span(0, 100), []) == [span(0, 100)]


@given(whole_st, spans_st)
def test_covered_and_gaps_partition_the_span(whole: Span, spans: list[Span]) -> None:
    cover, holes = covered(whole, spans), gaps(whole, spans)
    pieces = sorted(cover + holes)
    assert total(pieces) == whole.length  # together they make the whole span …
    assert pieces[0].start == whole.start and pieces[-1].end == whole.end
    for left, right in itertools.pairwise(pieces):
        assert left.end == right.start  # … with no overlap and no hole between them
    for piece in pieces:
        assert whole.start <= piece.start < piece.end <= whole.end


@given(whole_st, spans_st, st.integers(0, 300), st.integers(0, 300))
def test_a_larger_tolerance_only_drops_gaps(whole: Span, spans: list[Span], a: int, b: int) -> None:
    small, large = sorted((a, b))
    strict, lenient = gaps(whole, spans, timedelta(seconds=small)), gaps(whole, spans, timedelta(seconds=large))
    assert set(lenient) <= set(strict)
    assert all(g.length > timedelta(seconds=large) for g in lenient)


@given(spans_st, spans_st)
def test_intersection_lies_in_both(a: list[Span], b: list[Span]) -> None:
    both = intersect(a, b)
    for piece in both:
        assert covered(piece, a) == [piece] and covered(piece, b) == [piece]
    assert total(both) <= min(total(merge(a)), total(merge(b)))


def clip(start: datetime, end: datetime | None, offset: float | None) -> Clip:
    return Clip(uuid.uuid4(), uuid.uuid4(), "video", "a.mp4", start, end, offset)


def test_clip_times_are_corrected_by_the_device_clock_offset() -> None:
    # The device clock ran 90 s fast: what it calls 10:01:30 happened at 10:00:00 station time.
    assert clip_span(clip(at(90), at(190), 90.0)) == span(0, 100)
    assert clip_span(clip(at(0), at(100), -30.0)) == span(30, 130)
    assert clip_span(clip(at(0), at(100), None)) == span(0, 100)
    assert clip_span(clip(at(5), None, None)).length == timedelta(0)  # unknown duration covers nothing


def test_art32_kinds_are_every_listed_kind_but_other() -> None:
    assert ActivityKind.OTHER not in AV_REQUIRED_KINDS
    assert {ActivityKind.ONSITE_INSPECTION, ActivityKind.HEARING, ActivityKind.SERVICE} <= AV_REQUIRED_KINDS


@pytest.mark.parametrize(("arrived", "departed", "field"), [
    (None, at(10), "arrived_at"),
    (at(10), at(10), "departed_at"),
    (at(10), at(0), "departed_at"),
    (at(0), at(8 * 24 * 3600), "departed_at"),
    (datetime(2026, 1, 1), datetime(2026, 1, 2), "arrived_at"),
])
def test_bad_spans_are_refused(arrived: datetime | None, departed: datetime | None, field: str) -> None:
    problems = Problems()
    check_span(arrived, departed, problems)
    assert [p.field for p in problems.items][:1] == [field]


def test_a_good_span_passes() -> None:
    problems = Problems()
    check_span(at(0), at(3600), problems)
    assert problems.items == []
