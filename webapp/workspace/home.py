"""The agent's landing page: queues with live counts, pinned saved views with theirs, and for
admins a checklist of what is missing or wrong in the setup."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import redirect, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from webapp.access.reachability import unseen_destinations
from webapp.access.scope import Viewer, current_viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.health import redis_state
from webapp.models import (
    Delivery,
    DeliveryStatus,
    Item,
    Project,
    ProjectGrant,
    SavedView,
    SupportAddress,
    utcnow,
)
from webapp.models.projects import project_team
from webapp.views.setup_warnings import destination_links
from webapp.work_views.filters import ViewFilter
from webapp.workspace.queues import COUNT_CAP, QUEUES, QueueContext, queue_counts

#: Outgoing mail is sent by these recipe actions; their failures mean the relay fails.
MAIL_ACTIONS = ("notify_followers", "send_email", "email_admins")
MAIL_FAILURE_WINDOW = dt.timedelta(hours=24)


def count_text(count: int) -> str:
    """A queue's count as shown: exact up to the cap, then "1000+"."""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


@dataclass(frozen=True)
class SetupProblem:
    text: str
    url: str
    link_text: str


def _pinned_views(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    views = session.scalars(select(SavedView).where(
        SavedView.owner_id == viewer.user_id, SavedView.pinned.is_(True))
        .order_by(SavedView.name)).all()
    pinned = []
    for view in views:
        try:
            view_filter = ViewFilter.parse(view.filters or {}, viewer)
            count: int | None = session.scalar(
                view_filter.apply(select(func.count(Item.id)), session, viewer))
        except Invalid:
            count = None  # a saved filter that no longer applies (a deleted field)
        pinned.append({"name": view.name, "count": count,
                       "url": url_for("InboxView.saved", pk=view.id)})
    return pinned


def _worker_problem() -> str | None:
    """Why automations would wait: Redis unreachable or no worker's heartbeat (``None``
    with the in-process runner, or when workers are alive)."""
    state = redis_state()
    if not state["ok"]:
        return str(lazy_gettext("Redis cannot be reached (%(error)s): automations, e-mail "
                                "and webhooks wait.", error=state.get("error", "")))
    if state.get("workers") == 0:
        return str(lazy_gettext("No worker is running: automations, e-mail and webhooks wait "
                                "until one is started (relaydesk worker)."))
    return None


def setup_problems(session: Session) -> list[SetupProblem]:
    """What an admin should fix before (or while) agents work, besides the entry points that
    file into unseen projects (the "Setup warnings" block)."""
    problems = []
    if not session.scalar(select(exists().where(SupportAddress.id.is_not(None)))):
        problems.append(SetupProblem(
            str(lazy_gettext("No support address: customers' e-mail cannot become tickets.")),
            url_for("SupportAddressView.add"), str(lazy_gettext("Add a support address"))))
    unseen_projects = session.scalars(
        select(Project).where(~exists().where(project_team.c.project_id == Project.id),
                              ~exists().where(ProjectGrant.project_id == Project.id))
        .order_by(Project.name).limit(20)).all()
    for project in unseen_projects:
        problems.append(SetupProblem(
            str(lazy_gettext("No team can see the project %(name)s: only admins see its work.",
                             name=project.name)),
            url_for("ProjectView.edit", pk=project.id), str(lazy_gettext("Give it a team"))))
    failing = session.scalar(select(func.count(Delivery.id)).where(
        Delivery.action_type.in_(MAIL_ACTIONS),
        Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.DEAD]),
        Delivery.updated_at >= utcnow() - MAIL_FAILURE_WINDOW))
    if failing:
        problems.append(SetupProblem(
            str(lazy_gettext("Sending e-mail failed %(count)s times in the last 24 hours: "
                             "check the mail relay settings.", count=failing)),
            url_for("DeliveryView.list"), str(lazy_gettext("See the failed deliveries"))))
    worker_problem = _worker_problem()
    if worker_problem:
        problems.append(SetupProblem(worker_problem, url_for("health.health"),
                                     str(lazy_gettext("Health check"))))
    return problems


class WorkspaceHomeView(IndexView):
    """``/``: the workspace home for staff; FAB's welcome page for anyone else."""

    index_template = "workspace/home.html"

    @expose("/")
    def index(self) -> Any:
        viewer = current_viewer()
        if not viewer.is_staff:
            if current_user.is_authenticated:
                return self.render_template("appbuilder/index.html",
                                            appbuilder=self.appbuilder)
            return redirect(url_for(f"{self.appbuilder.sm.auth_view.endpoint}.login"))
        session = db.session
        counts = queue_counts(session, QueueContext.for_viewer(viewer))
        queues = [{"key": q.key, "label": q.label, "icon": q.icon,
                   "count": count_text(counts[q.key]),
                   "url": url_for("InboxView.queue", key=q.key)} for q in QUEUES]
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, queues=queues,
            pinned=_pinned_views(session, viewer),
            problems=setup_problems(session) if viewer.is_admin else [],
            setup_warnings=[(d, destination_links(d)) for d in unseen_destinations(session)]
            if viewer.is_admin else [])
