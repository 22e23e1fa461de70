"""``lawtrail evidence mark``: mark an original as evidence with its written note (who collected
it, when, where — Art. 43), with Art. 44 situations, and its retention. Each run adds a new
version of the original's mark; nothing earlier is changed."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

import typer

from lawtrail.cli.common import JsonOption, emit_json, parse_date, say, session
from lawtrail.cli.handins import _time
from lawtrail.domain.events import format_time
from lawtrail.domain.evidence import NOTE_ITEM_LABELS, RETENTION_LABELS, MediaMark, Situation
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.rules.common import local
from lawtrail.services import evidence

app = typer.Typer(no_args_is_help=True)
SITUATIONS = ", ".join(s.value for s in Situation)


def mark_json(mark: MediaMark) -> dict[str, Any]:
    return {"media_id": str(mark.media_id), "version": mark.version, "evidence": mark.evidence,
            "collector": mark.collector, "collected_at": format_time(mark.collected_at) if mark.collected_at else None,
            "place": mark.place, "situations": [s.value for s in mark.situations],
            "situation_note": mark.situation_note, "retention": mark.retention.value,
            "retain_until": format_time(mark.retain_until) if mark.retain_until else None,
            "missing_note_items": list(mark.missing_note_items())}


def _until(value: str | None) -> datetime | None:
    """``--until YYYY-MM-DD``: kept to the end of that day, bureau time."""
    day = parse_date(value, "until", "保存截止日期")
    return datetime.combine(day, time(23, 59, 59), BUREAU_TZ) if day else None


@app.command("mark", help="标记原始文件：作为证据（文字说明）、第四十四条情形、保存期限 / "
                          "Mark an original: evidence with its note, Art. 44 situations, retention")
def mark(tctx: typer.Context,
         media: Annotated[str, typer.Argument(help="原始文件编号或 SHA-256 / media id or SHA-256")],
         as_evidence: Annotated[bool, typer.Option(
             "--evidence", help="作为行政执法证据使用 / used as evidence")] = False,
         collector: Annotated[str, typer.Option("--collector", help="取证人员 / who collected it")] = "",
         collected_at: Annotated[str | None, typer.Option(
             "--collected-at", help="取证时间（ISO 8601，无时区按北京时间） / when")] = None,
         place: Annotated[str, typer.Option("--place", help="取证地点 / where")] = "",
         situation: Annotated[list[str] | None, typer.Option(
             "--situation", help=f"第四十四条情形，可重复 / Art. 44 situation, repeatable: {SITUATIONS}")] = None,
         situation_note: Annotated[str, typer.Option(
             "--situation-note", help="情形说明（“其他”时必填） / description (required for other)")] = "",
         retention: Annotated[str | None, typer.Option(
             "--retention", help="standard（一般保存） | long_term（长期保存）")] = None,
         until: Annotated[str | None, typer.Option(
             "--until", help="一般保存的截止日期 YYYY-MM-DD / end of standard retention")] = None,
         as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        media_id = evidence.resolve_media(cli.uow(), cli.ctx, media)
        done = evidence.mark_media(cli.uow(), cli.ctx, media_id, policy=cli.container.rules.retention,
                                   evidence=as_evidence, collector=collector,
                                   collected_at=_time(collected_at, "collected-at"), place=place,
                                   situations=situation or (), situation_note=situation_note,
                                   retention=retention, retain_until=_until(until))
    if as_json:
        emit_json(mark_json(done))
        return
    kept = RETENTION_LABELS[done.retention] + (f"至 {local(done.retain_until)}" if done.retain_until else "")
    say(f"已标记（第 {done.version} 版） / marked (version {done.version}): {kept}")
    missing = done.missing_note_items()
    if missing:
        say("文字说明尚缺 / the note still lacks: " + "、".join(NOTE_ITEM_LABELS[k][0] for k in missing)
            + "（ART43-EVIDENCE-NOTE，第四十三条）")
