"""The one way an admin action acts on the selected rows.

Every action is :func:`run_each` with an *operation*: a small function that
calls one service for one object and says, as an :class:`Outcome`, what
happened. The helper owns what all actions must get right the same way: the
order the rows are taken in, the optional row lock, which errors become a
per-object message rather than a 500, and the counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import messages
from django.contrib.admin.utils import model_ngettext
from django.db import DatabaseError, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ..exceptions import DokuAlloError, database_error_trace

if TYPE_CHECKING:
    from .base import DokuAlloModelAdmin

__all__ = ["Outcome", "Tally", "run_each", "status_check"]

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class Outcome:
    """What an action did to one object: the words staff read, and the message level.

    Done is the default; a warning without a prefix is done but not settled
    (DOKU's answer never came, a notification was flagged): staff look again.
    """

    text: str
    level: int = messages.SUCCESS

    @classmethod
    def skipped(cls, text: str) -> Outcome:
        return cls(_("skipped: %(reason)s") % {"reason": text}, messages.WARNING)

    @classmethod
    def failed(cls, text: str) -> Outcome:
        return cls(_("failed: %(reason)s") % {"reason": text}, messages.ERROR)


@dataclass
class Tally:
    """How many objects of one action run ended at each message level."""

    succeeded: int = 0
    warned: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.warned + self.failed

    def count(self, outcome: Outcome) -> None:
        if outcome.level >= messages.ERROR:
            self.failed += 1
        elif outcome.level >= messages.WARNING:
            self.warned += 1
        else:
            self.succeeded += 1


def run_each(modeladmin: DokuAlloModelAdmin, request: HttpRequest, objects: Iterable[_M],
             operation: Callable[[_M], Outcome], *,
             refusals: tuple[type[DokuAlloError], ...] = (), lock: bool = False) -> Tally:
    """Run ``operation`` on each object in turn; one message per object; the counts.

    - ``objects`` are taken in the order given; callers order by pk, so that two
      staff members acting on overlapping selections lock rows in the same order.
    - ``lock=True`` hands the operation the row re-read with ``select_for_update``
      inside its own ``transaction.atomic``. Only for a service that does not lock
      its row itself: the services the actions call today all do, and they must not
      run inside an outer transaction, since they commit what they are about to
      send before calling DOKU.
    - An exception in ``refusals`` (the service's "not now") is reported as
      skipped; any other :class:`DokuAlloError` as failed. A ``DatabaseError`` (a
      deadlock, a lock timeout, a lost connection) is failed too, logged with where
      it happened, and the next object still gets its turn: one bad row must not
      turn the whole batch into a 500 that hides what was already done.
    - Anything else propagates: it is a bug, and a traceback is the right answer.
    - After several objects, one more message sums them up ("3 Allo Bank payments:
      1 done, ..."), so staff need not count the lines above.
    """
    tally = Tally()
    for obj in objects:
        # Named before the operation: what staff selected, not what it became.
        label = modeladmin.label(obj)
        try:
            outcome = _locked_run(obj, operation) if lock else operation(obj)
        except refusals as exc:
            outcome = Outcome.skipped(str(exc))
        except DokuAlloError as exc:
            outcome = Outcome.failed(str(exc))
        except DatabaseError as exc:
            outcome = _database_error(obj, exc)
        modeladmin.message_user(request, _("%(object)s: %(outcome)s") % {
            "object": label, "outcome": outcome.text}, outcome.level)
        tally.count(outcome)
    if tally.total > 1:
        _summarise(modeladmin, request, tally)
    logger.info("doku_allo admin action %s on %s by user %s: %d succeeded, %d warned, "
                "%d failed", request.POST.get("action", "?"), modeladmin.opts.model_name,
                getattr(request.user, "pk", None), tally.succeeded, tally.warned,
                tally.failed)
    return tally


def _summarise(modeladmin: DokuAlloModelAdmin, request: HttpRequest, tally: Tally) -> None:
    level = (messages.ERROR if tally.failed else messages.WARNING if tally.warned
             else messages.SUCCESS)
    text = _("%(count)d %(objects)s: %(done)d done, %(warned)d skipped or not settled yet, "
             "%(failed)d failed.") % {
        "count": tally.total, "objects": model_ngettext(modeladmin.opts, tally.total),
        "done": tally.succeeded, "warned": tally.warned, "failed": tally.failed}
    modeladmin.message_user(request, text, level)


def _database_error(obj: Model, exc: DatabaseError) -> Outcome:
    # Where it happened, but not the database's own message, neither logged nor
    # shown: it can quote row values (an IntegrityError names the phone number).
    logger.error("doku_allo admin: database error on %s %s: %s", obj._meta.model_name, obj.pk,
                 database_error_trace(exc))
    return Outcome.failed(_("database error (%(error)s); check its current status before "
                            "trying again.") % {"error": exc.__class__.__name__})


def _locked_run(obj: _M, operation: Callable[[_M], Outcome]) -> Outcome:
    with transaction.atomic():
        locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        return operation(locked)


def status_check(sync: Callable[[Any], Any], settled: Iterable[str]
                 ) -> Callable[[Any], Outcome]:
    """An operation that asks DOKU for an object's status through ``sync``.

    An object already in a ``settled`` state is skipped: a final status never
    changes, so there is nothing to ask DOKU.
    """
    final = frozenset(settled)

    def check(obj: Any) -> Outcome:
        if obj.status in final:
            return Outcome.skipped(_("already %(status)s.") % {
                "status": obj.get_status_display().lower()})
        before = obj.get_status_display()
        after = sync(obj).get_status_display()
        if after == before:
            return Outcome(_("unchanged (%(status)s).") % {"status": after})
        return Outcome(_("%(before)s → %(after)s.") % {"before": before, "after": after})

    return check
