"""Leadership checklists: each audience answers its own checklist per site; the crosswalk
shows how the answers stand against each framework."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from imagewarden.app.dashboard import sites as visible_sites
from imagewarden.app.permissions import Action, may_answer
from imagewarden.governance import api
from imagewarden.model import UserInputError
from imagewarden.model.checklist import Answer
from imagewarden.web.auth import Caller, Forbidden, requires
from imagewarden.web.forms import choice, form_date
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/checklists")
def checklists(
    request: Request,
    caller: Annotated[Caller, Depends(requires(Action.CHECKLISTS_VIEW))],
    checklist: Annotated[str, Query(max_length=200)] = "",
    site: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """The checklists, one of them with the chosen site's current answers, and the crosswalk."""
    workspace = caller.workspace
    sites = visible_sites(workspace, visible=caller.sites)
    site_id = site.strip() or (sites[0].id if sites else "")
    if site_id:
        caller.require_site(site_id)
    summaries = api.list_checklists(workspace)
    chosen = api.checklist(workspace, checklist.strip() or summaries[0].name) if summaries else None
    answers = {
        a.question_id: a for a in api.current_answers(workspace) if a.site_id == site_id
    }  # fmt: skip
    context = {
        "summaries": summaries,
        "chosen": chosen,
        "site_id": site_id,
        "sites": sites,
        "answers": answers,
        "choices": list(Answer),
        "may_answer": chosen is not None
        and site_id != ""
        and caller.principal.may(Action.CHECKLISTS_ANSWER, site_id)
        and may_answer(caller.principal.role, chosen.audience),
        "coverage": api.crosswalk(workspace),
        "today": dt.date.today(),
    }
    return render(request, "checklists.html", context, caller=caller)


@router.post("/checklists/{name}/answer")
def answer(
    name: str,
    caller: Annotated[Caller, Depends(requires(Action.CHECKLISTS_ANSWER))],
    question: Annotated[str, Form(max_length=200)],
    site: Annotated[str, Form(max_length=64)],
    answer: Annotated[str, Form(max_length=20)],
    owner: Annotated[str, Form(max_length=200)],
    evidence: Annotated[str, Form(max_length=2000)] = "",
    due: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record one answer for one site (audited), then show the checklist again."""
    caller.require_site(site)
    chosen = api.checklist(caller.workspace, name)
    if not may_answer(caller.principal.role, chosen.audience):
        raise Forbidden(Action.CHECKLISTS_ANSWER, site)
    short = chosen.id.rsplit(":", 1)[-1]
    if question not in {q.id for q in chosen.questions}:
        raise UserInputError(f"question {question[:60]!r} is not in checklist {short!r}")
    value = choice(Answer, answer, "answer")
    if value is None:
        raise UserInputError("answer: choose one of " + ", ".join(a.value for a in Answer))
    api.answer_question(
        caller.workspace, question, value, site=site, owner=owner, evidence=evidence,
        due=form_date(due, "due"),
    )  # fmt: skip
    target = f"/checklists?checklist={short}&site={site}#{question}"
    return RedirectResponse(target, status_code=303)
