"""Projects and API keys, as the admin service manages them: who may see and change which.

Listing projects is open to every key (it sees its own project; a ``broker:admin`` key sees all);
everything else needs ``broker:admin`` and stays inside the caller's project unless the caller is
an admin. The secret of a new key is returned once and stored only as an Argon2id hash
(``auth.api_keys``).
"""

from __future__ import annotations

from collections.abc import Iterable

from embedded_broker.auth.api_keys import ApiKey
from embedded_broker.auth.caller import Caller
from embedded_broker.auth.permissions import Permission, parse_permissions
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.model import Project
from embedded_broker.engine.broker import Broker


async def list_projects(broker: Broker, caller: Caller) -> list[Project]:
    """Every project for a broker admin; the caller's own project otherwise."""
    projects = await broker.change(broker.projects.list)
    if caller.is_admin:
        return projects
    return [p for p in projects if p.id == caller.project_id]


async def create_project(broker: Broker, caller: Caller, name: str, ensure: bool) -> Project:
    """Create a project (``ensure``: or return the one of that name).

    Raises:
        PermissionDenied: without ``broker:admin``.
        InvalidArgument: for a bad name.
        AlreadyExists: if the name is taken and ``ensure`` is false.
    """
    caller.require(Permission.BROKER_ADMIN)
    make = broker.projects.ensure if ensure else broker.projects.create
    return await broker.change(make, name)


async def create_key(
    broker: Broker, caller: Caller, project_id: bytes, permissions: Iterable[str], name: str
) -> tuple[ApiKey, str]:
    """Create an API key; return it and its ClientSecret (the only time the secret exists in
    the clear).

    Args:
        broker: the broker's state.
        caller: needs ``broker:admin``.
        project_id: the key's project (empty: the caller's).
        permissions: permission names (``all`` grants every one).
        name: a label for people.

    Raises:
        PermissionDenied: without ``broker:admin``, or for another project.
        NotFound: if the project does not exist.
        InvalidArgument: for an unknown permission or none at all.
    """
    caller.require(Permission.BROKER_ADMIN)
    project = caller.project(project_id)
    await broker.change(broker.projects.get, project)
    granted = parse_permissions(permissions)
    return await broker.change(broker.keys.create, project, granted, name)


async def list_keys(broker: Broker, caller: Caller, project_id: bytes) -> list[ApiKey]:
    """A project's keys (never their secrets), revoked ones included.

    Raises:
        PermissionDenied: without ``broker:admin``, or for another project.
    """
    caller.require(Permission.BROKER_ADMIN)
    return await broker.change(broker.keys.list, caller.project(project_id))


async def revoke_key(broker: Broker, caller: Caller, client_id: str) -> ApiKey:
    """Revoke a key: its tokens, and the open streams they authorize, stop working at once.

    Raises:
        PermissionDenied: without ``broker:admin``, or for another project's key.
        NotFound: for an unknown ClientID.
        InvalidArgument: for the caller's own key (use another admin key).
    """
    caller.require(Permission.BROKER_ADMIN)
    key = await broker.change(broker.keys.by_client_id, client_id)
    caller.require_project(key.project_id)
    if key.id == caller.key_id:
        raise InvalidArgument("a key cannot revoke itself; use another admin key")
    return await broker.change(broker.keys.revoke, client_id)
