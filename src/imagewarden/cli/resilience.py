"""Resilience commands: ``recovery``, ``ir``, ``drill`` and ``tabletop`` groups (``backup``
has its own module, ``cli.backup``, so it starts without this capability's other imports).

Each command parses its options, calls ``imagewarden.resilience.api`` and renders the result:
human messages on stderr, data (tables, JSON, written paths) on stdout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.cli.formats import (
    STDOUT,
    JsonAlias,
    TextFormat,
    TextFormatOption,
    print_json,
    print_paths,
    stdout_file,
)
from imagewarden.cli.options import DATE, MOMENT, parse_date, parse_moment
from imagewarden.cli.state import err, out, state
from imagewarden.resilience import api
from imagewarden.resilience.drills import DrillLogKind, parse_improvement
from imagewarden.resilience.planning import plan_as_dict
from imagewarden.resilience.records import NewTeamMember

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def _html_out(path: Path) -> Iterator[Path]:
    """``path``, or for ``--out -`` a temporary file whose HTML goes to stdout."""
    if path != STDOUT:
        yield path
        return
    with stdout_file(path.name if path.suffix else "document.html") as temporary:
        yield temporary


recovery_app = typer.Typer(no_args_is_help=True, help="Plan the restore of imaging services.")


@recovery_app.command("plan")
def recovery_plan_command(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    output: TextFormatOption = TextFormat.TEXT,
    as_json: JsonAlias = False,
) -> None:
    """Restore order, time to recover and gaps against 72 h and four weeks, per site.

    Records each site's estimate as facts, so the next assessment raises findings on gaps.
    """
    plans = api.plan_recovery(state(ctx).workspace(), site)
    if as_json or output is TextFormat.JSON:
        print_json([plan_as_dict(p) for p in plans])
        return
    for plan in plans:
        verdict = "within" if plan.within_target else "BEYOND"
        out.print(
            f"{plan.site.name}: critical imaging back after {plan.critical_hours:.0f} h "
            f"({verdict} 72 h); everything after {plan.all_hours:.0f} h"
        )
        table = Table(box=None, pad_edge=False)
        for column in ("#", "service", "assets", "after", "hours", "ready at"):
            table.add_column(column)
        for i, step in enumerate(plan.steps, start=1):
            table.add_row(
                str(i),
                step.service.title,
                ", ".join(a.name for a in step.assets) or "(enterprise)",
                ", ".join(step.depends_on),
                f"{step.hours:g}{' (tested)' if step.measured else ''}",
                f"{step.finish:.0f} h",
            )
        out.print(table)
        for gap in plan.gaps:
            out.print(f"  gap: {gap}")


ir_app = typer.Typer(no_args_is_help=True, help="Incident response team and playbooks.")
team_app = typer.Typer(no_args_is_help=True, help="The imaging incident response team.")
ir_app.add_typer(team_app, name="team")


@team_app.command("add")
def team_add_command(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="Role id (see `ir team roles`).")],
    name: Annotated[str, typer.Option("--name", help="Person or on-call rota name.")],
    contact: Annotated[str, typer.Option("--contact", help="Phone or pager.")] = "",
    rank: Annotated[int, typer.Option("--rank", min=1, help="Call order in the role.")] = 1,
    site: Annotated[str, typer.Option("--site", help="Site id; empty: every site.")] = "",
) -> None:
    """Add a person to a role of the incident response team."""
    member = api.add_team_member(
        state(ctx).workspace(), NewTeamMember(role, name, contact, rank, site)
    )
    err.print(f"added {member.name} as {role} (member {member.id})")
    out.print(str(member.id))


@team_app.command("list")
def team_list_command(ctx: typer.Context, output: TextFormatOption = TextFormat.TEXT) -> None:
    """The incident response team, by role and call order."""
    members = api.team(state(ctx).workspace())
    if output is TextFormat.JSON:
        print_json(
            [
                {"id": m.id, "role": m.role, "name": m.name, "contact": m.contact,
                 "rank": m.rank, "site": m.site_id}
                for m in members
            ]
        )  # fmt: skip
        return
    table = Table(box=None, pad_edge=False)
    for column in ("id", "role", "rank", "name", "contact", "site"):
        table.add_column(column)
    for m in members:
        table.add_row(str(m.id), m.role, str(m.rank), m.name, m.contact, m.site_id or "(all)")
    out.print(table)
    err.print(f"{len(members)} members")


@team_app.command("roles")
def team_roles_command(ctx: typer.Context, output: TextFormatOption = TextFormat.TEXT) -> None:
    """List the incident response roles."""
    roles = api.roles(state(ctx).catalog)
    if output is TextFormat.JSON:
        print_json([{"id": r.id, "title": r.title, "escalates_to": r.escalates_to} for r in roles])
        return
    for role in roles:
        out.print(f"{role.id}: {role.title}")


@ir_app.command("plan")
def ir_plan_command(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="HTML file ('-': stdout).")] = Path(
        "ir-plan.html"
    ),
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write this PDF.")] = None,
    site: Annotated[str | None, typer.Option("--site", help="Site id (default: largest).")] = None,
    playbook: Annotated[
        list[str] | None, typer.Option("--playbook", help="Only these playbooks (repeatable).")
    ] = None,
) -> None:
    """Write the incident response plan for a site: team, contact tree, playbooks, RACI."""
    workspace = state(ctx).workspace()
    with err.status("writing the incident response plan"), _html_out(out_file) as html:
        request = api.IrPlanRequest(html, pdf, site, tuple(playbook or ()))
        written = api.write_ir_plan(workspace, request)
    counts = dict(written.counts)
    err.print(
        f"incident response plan for {written.site_name}: {counts['playbooks']} playbooks, "
        f"{counts['roles without a person']} roles without a person"
    )
    print_paths(tuple(p for p in written.paths if out_file != STDOUT or p != html))


drill_app = typer.Typer(no_args_is_help=True, help="Downtime drills and after-action reports.")


@drill_app.command("schedule")
def drill_schedule_command(
    ctx: typer.Context,
    site: Annotated[str, typer.Option("--site", help="Site id.")],
    title: Annotated[str, typer.Option("--title", help="What the drill exercises.")],
    on: Annotated[
        dt.date, typer.Option("--on", parser=parse_date, metavar=DATE, help="Date of the drill.")
    ],
    scenario: Annotated[str, typer.Option("--scenario", help="Playbook or scenario id.")] = "",
) -> None:
    """Put a drill on the schedule; prints its id."""
    drill = api.schedule_drill(
        state(ctx).workspace(), site_id=site, title=title, on=on, scenario=scenario
    )
    err.print(f"drill {drill.id} scheduled for {drill.scheduled_for} at {drill.site_id}")
    out.print(str(drill.id))


@drill_app.command("list")
def drill_list_command(ctx: typer.Context, output: TextFormatOption = TextFormat.TEXT) -> None:
    """The drill schedule, with open after-action items."""
    overview = api.drill_overview(state(ctx).workspace())
    if output is TextFormat.JSON:
        print_json(
            {
                "drills": [
                    {"id": d.id, "site": d.site_id, "title": d.title, "scenario": d.scenario,
                     "scheduled_for": d.scheduled_for.isoformat(), "state": d.state.value,
                     "started_at": d.started_at.isoformat() if d.started_at else None,
                     "finished_at": d.finished_at.isoformat() if d.finished_at else None}
                    for d in overview.drills
                ],
                "open_items": [
                    {"id": i.id, "drill": i.drill_id, "text": i.text, "owner": i.owner,
                     "due": i.due.isoformat() if i.due else None,
                     "overdue": i.overdue(overview.today)}
                    for i in overview.open_items
                ],
            }
        )  # fmt: skip
        return
    for drill in overview.drills:
        out.print(
            f"{drill.id}  {drill.scheduled_for}  {drill.site_id}  {drill.state.value}  "
            f"{drill.title}"
        )
    for item in overview.open_items:
        late = " OVERDUE" if item.overdue(overview.today) else ""
        out.print(
            f"  item {item.id} (drill {item.drill_id}): {item.text} | {item.owner} | "
            f"due {item.due}{late}"
        )


@drill_app.command("log")
def drill_log_command(
    ctx: typer.Context,
    drill_id: Annotated[int, typer.Argument(help="Drill id.")],
    text: Annotated[str, typer.Argument(help="The inject, action or note.")],
    kind: Annotated[
        DrillLogKind, typer.Option("--kind", case_sensitive=False, help="inject, action or note.")
    ] = DrillLogKind.ACTION,
    at: Annotated[
        dt.datetime | None,
        typer.Option(
            "--at", parser=parse_moment, metavar=MOMENT, help="When (UTC if no zone); default now."
        ),
    ] = None,
) -> None:
    """Add a timestamped entry to a drill's run log (the first entry starts the drill)."""
    drill, event = api.log_drill(state(ctx).workspace(), drill_id, text, kind, at)
    err.print(
        f"drill {drill.id} {drill.state.value}: {event.kind.value} logged at "
        f"{event.at.strftime('%Y-%m-%d %H:%M:%S UTC')} (entry {event.id})"
    )


@drill_app.command("report")
def drill_report_command(
    ctx: typer.Context,
    drill_id: Annotated[int, typer.Argument(help="Drill id.")],
    went_well: Annotated[
        list[str] | None, typer.Option("--went-well", help="What went well (repeatable).")
    ] = None,
    gap: Annotated[list[str] | None, typer.Option("--gap", help="A gap (repeatable).")] = None,
    improve: Annotated[
        list[str] | None,
        typer.Option("--improve", help="'what | owner | YYYY-MM-DD' (repeatable)."),
    ] = None,
    out_file: Annotated[Path, typer.Option("--out", help="HTML file ('-': stdout).")] = Path(
        "after-action.html"
    ),
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write this PDF.")] = None,
) -> None:
    """Finish a running drill with its after-action items and write the after-action report.

    A finished drill's items are closed: without items its report is written again.
    """
    improvements = tuple(parse_improvement(v) for v in improve or ())
    workspace = state(ctx).workspace()
    with _html_out(out_file) as html:
        request = api.DrillReportRequest(
            drill_id,
            html,
            pdf,
            went_well=tuple(went_well or ()),
            gaps=tuple(gap or ()),
            improvements=improvements,
        )
        report = api.report_drill(workspace, request)
    if report.finished_now:
        err.print(f"drill {drill_id} finished; after-action report written")
    else:
        err.print(f"drill {drill_id} was already finished; its report was written again")
    print_paths(tuple(p for p in report.paths if out_file != STDOUT or p != html))


@drill_app.command("done")
def drill_done_command(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="After-action item id.")],
    on: Annotated[
        dt.date | None,
        typer.Option("--on", parser=parse_date, metavar=DATE, help="Date done (default today)."),
    ] = None,
) -> None:
    """Mark an after-action improvement item as done."""
    day = on or dt.datetime.now(dt.UTC).date()
    item = api.complete_drill_item(state(ctx).workspace(), item_id, day)
    err.print(f"item {item.id} of drill {item.drill_id} done on {item.done_on}")


tabletop_app = typer.Typer(no_args_is_help=True, help="Tabletop exercise packages.")


@tabletop_app.command("generate")
def tabletop_generate_command(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario id.")] = (
        "ransomware-weekend"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Variant (same seed, same package).")] = 1,
    site: Annotated[str | None, typer.Option("--site", help="Site id (default: largest).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the package.")] = Path(
        "tabletop"
    ),
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write the PDF.")] = True,
) -> None:
    """Write an exercise package (HTML and PDF) for a scenario and the real inventory."""
    request = api.TabletopRequest(out_dir, scenario, seed, site, pdf)
    with err.status("writing the tabletop package"):
        written = api.generate_tabletop(state(ctx).workspace(), request)
    counts = dict(written.counts)
    err.print(
        f"tabletop package '{scenario}' for {written.site_name}: "
        f"{counts['injects']} injects, {counts['roles']} roles"
    )
    print_paths(written.paths)
