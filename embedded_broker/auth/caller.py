"""Who is calling: the API key behind a verified access token, and what it may do."""

from __future__ import annotations

from dataclasses import dataclass

from embedded_broker.auth.permissions import Permission
from embedded_broker.core.errors import PermissionDenied


@dataclass(frozen=True, slots=True)
class Caller:
    """The API key behind a call, as its access token describes it.

    Attributes:
        key_id: the key's 16-byte ULID.
        project_id: the 16-byte ULID of the key's project; calls stay inside it.
        permissions: what the key may do (Ensign's permissions plus ``broker:admin``).
        expires: when the token stops being valid, in seconds since the epoch.
    """

    key_id: bytes
    project_id: bytes
    permissions: frozenset[Permission]
    expires: int

    @property
    def is_admin(self) -> bool:
        """True for a ``broker:admin`` key (every permission, every project)."""
        return Permission.BROKER_ADMIN in self.permissions

    def can(self, permission: Permission) -> bool:
        """True if the key holds ``permission`` (``broker:admin`` holds every one)."""
        return permission in self.permissions or self.is_admin

    def require(self, *permissions: Permission) -> None:
        """Raise unless the key holds one of ``permissions``.

        Raises:
            PermissionDenied: naming what is missing.
        """
        if not any(self.can(p) for p in permissions):
            names = " or ".join(repr(p.value) for p in permissions)
            raise PermissionDenied(f"this API key lacks the {names} permission")

    def project(self, project_id: bytes = b"") -> bytes:
        """The project a call addresses: ``project_id`` when given, else the key's own.

        Raises:
            PermissionDenied: for another project, unless the key is a broker admin.
        """
        if not project_id:
            return self.project_id
        self.require_project(project_id)
        return project_id

    def require_project(self, project_id: bytes) -> None:
        """Raise unless the call stays in the key's project (or the key is a broker admin).

        Raises:
            PermissionDenied: for another project.
        """
        if project_id != self.project_id and not self.is_admin:
            raise PermissionDenied("this API key belongs to another project")
