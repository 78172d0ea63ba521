"""Rules for projects: a non-admin who creates a project keeps access to it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.write_check import rules_for
from webapp.models import Folder, Project, ProjectGrant


def grant_creator(session: Session, project: Project, viewer: Viewer, is_new: bool) -> dict:
    if is_new and not viewer.is_admin and viewer.user_id is not None and not project.teams:
        session.add(ProjectGrant(project_id=project.id, user_id=viewer.user_id))
    return {}


def validate_folder(session: Session, folder: Folder, viewer: Viewer, is_new: bool) -> dict:
    if folder.parent_id is None:
        return {}
    parent = session.get(Folder, folder.parent_id)
    if parent is not None and parent.project_id != folder.project_id:
        return {"parent": ["belongs to another project"]}
    if folder.parent_id == folder.id:
        return {"parent": ["a folder cannot contain itself"]}
    return {}


rules_for(Project).validate.append(grant_creator)
rules_for(Folder).validate.append(validate_folder)
