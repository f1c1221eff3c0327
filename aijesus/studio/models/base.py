"""The status-machine mixin shared by Question and Clip.

A transition is one conditional UPDATE (``WHERE id = … AND status = <what we read>``). That single
mechanism gives both guarantees the studio needs: an illegal move raises before touching the
database, and of two moderators (or two workers) acting on the same row at once exactly one wins;
the other gets ``StaleState`` with the row's current status.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone


class IllegalTransition(Exception):
    """The requested status change is not allowed from the row's current status."""


class StaleState(Exception):
    """Someone else changed the row between our read and our write."""


class StatusMachine(models.Model):
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {}

    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        abstract = True

    def can_move(self, to: str) -> bool:
        return to in self.TRANSITIONS.get(self.status, frozenset())

    def _move(self, to: str, **fields: Any) -> None:
        label = f"{self._meta.verbose_name} {self.pk}"
        if not self.can_move(to):
            raise IllegalTransition(f"{label}: cannot go from '{self.status}' to '{to}'")
        current = self.status
        fields["updated_at"] = timezone.now()
        rows = type(self)._default_manager.filter(pk=self.pk, status=current)
        if rows.update(status=to, **fields) != 1:
            self.refresh_from_db(fields=["status"])
            raise StaleState(
                f"{label} is now '{self.status}' (was '{current}'): someone else changed it first"
            )
        self.status = to
        for name, value in fields.items():
            setattr(self, name, value)
        self.after_move()

    def after_move(self) -> None:
        """Hook run after every successful transition (the dashboard push)."""
