"""The ledger with typed arguments: aware datetimes in, native values out."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import gc
import json
from typing import Tuple, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from . import _tijdreg
from .events import Recorded
from ._convert import from_json, to_json
from .commands import Command

CommandLike = Union[Command, Mapping[str, Any]]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """An accepted command: its events — :class:`tijdreg.events.Recorded`, each with a typed
    event (``out.events[0].event.time``; dict-style reading still works), made when ``events``
    is first read (ADR 24) — and whether this was a retry (ATT-3)."""

    events: List[Recorded]
    replayed: bool

    @property
    def event_types(self) -> List[str]:
        pending = self.__dict__.get("_pending")
        if pending is not None:  # told without making the events (ADR 24)
            types: List[str] = pending.types()
            return types
        return [e["event"]["type"] for e in self.events]

    # Copy and pickle give an ordinary outcome, its events made if they were not yet read.
    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.events, self.replayed))


# An outcome made by the engine holds its events as the engine returned them and makes them
# into Python values when ``events`` is first read, keeping them as the instance's field (ADR
# 24): a caller that only needs to know a command was accepted does not pay for them. Nothing
# else differs — equality, ``repr``, ``dataclasses.asdict``/``replace``, copying and pickling
# read ``events`` as any caller does. (Set after the class is made, so that the dataclass and
# type checkers see the field as declared.)
setattr(Outcome, "events", _tijdreg._EventsWhenRead())


@dataclasses.dataclass(frozen=True)
class Failed:
    """A refused command in :meth:`Ledger.apply_many`."""

    code: str
    rule: str
    kind: str
    message: str
    message_en: str
    message_nl: str = ""
    row: Optional[int] = None


def _loads_many(text: str) -> Any:
    """``json.loads`` of a long list, with Python's cyclic collector paused meanwhile (it would
    walk the dicts already made each time 700 more exist; they hold no cycle). It is switched
    back on afterwards unless the host had turned it off."""
    on = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text)
    finally:
        if on:
            gc.enable()


def _envelope(command: CommandLike, actor: str, at: _dt.datetime, command_id: str) -> Dict[str, Any]:
    if not isinstance(at, _dt.datetime):
        raise TypeError(f"at must be an aware datetime, not {type(at).__name__}")
    body = command.to_dict() if isinstance(command, Command) else to_json(dict(command), where="command")
    return {"command_id": command_id, "actor": actor, "at": to_json(at, where="at"), "command": body}


class Ledger:
    """Commands in, events or a typed :class:`tijdreg.Error` out; queries; reports; snapshots.

    >>> import datetime as dt
    >>> from tijdreg import Ledger, commands as c
    >>> led = Ledger()
    >>> out = led.apply(c.CreateOrganisation("vdab", "VDAB"), actor="system",
    ...                 at=dt.datetime(2026, 3, 2, 8, tzinfo=dt.timezone.utc), command_id="c1")
    >>> out.event_types
    ['organisation_created']
    """

    def __init__(self, keys: Optional[_tijdreg.Keyring] = None) -> None:
        self._native = _tijdreg.NativeLedger(keys)
        self._keys = keys

    @classmethod
    def _wrap(cls, native: _tijdreg.NativeLedger, keys: Optional[_tijdreg.Keyring]) -> "Ledger":
        led = cls.__new__(cls)
        led._native = native
        led._keys = keys
        return led

    def apply(self, command: CommandLike, *, actor: str, at: _dt.datetime, command_id: str) -> Outcome:
        """Checks a command and applies it. Raises a :class:`tijdreg.Error` subclass when refused."""
        out: Outcome = self._native.apply_obj(command, actor, at, command_id, True)
        return out

    def apply_json(self, envelope: str) -> str:
        """The JSON interface: one envelope in, the outcome out."""
        return self._native.apply_json(envelope)

    def apply_many(self, commands: Iterable[Mapping[str, Any]], *, batch: int = 4096) -> List[Union[Outcome, Failed]]:
        """Applies envelopes (``command_id``, ``actor``, ``at``, ``command`` — a typed command
        or a dict) in order and returns an :class:`Outcome` or a :class:`Failed` each; a
        refusal does not stop the rest. ``commands`` may be any iterable (a generator too): it
        is read and applied ``batch`` at a time, each batch converted natively and applied
        without the GIL on a second thread while the next batch is read and the results of the
        one before are made (ADR 25; the answers and the log are those of applying the
        envelopes one at a time). If the iterable raises, the batches read before are applied
        and the error is raised. An envelope whose values cannot be converted (a naive datetime, a
        float) is a :class:`Failed` with code ``invalid_input``. Python's cyclic garbage
        collector is paused while a batch's results are made (they hold no cycle; it walked
        them again and again as they piled up) and restored as it was right after."""
        results: List[Union[Outcome, Failed]] = []
        for r in self._native.apply_many_obj(commands, batch, True):
            results.append(Failed(**r) if isinstance(r, dict) else r)
        return results

    def apply_scans(self, scans: Any) -> Tuple[int, List[Failed]]:
        """Applies a columnar batch of scans in order, in one native call without the GIL
        (``pip install 'tijdreg[arrow]'``). ``scans`` is a table (pyarrow, pandas, polars, a
        parquet path) with the columns ``command_id``, ``actor``, ``at`` (instant), ``kind``
        (``check_in``, ``check_out``, ``mark_absent``), ``session``, and ``person`` or ``token``
        per row, optionally ``time`` (the registered instant). Returns the number applied and
        the refusals, each a :class:`Failed` with its ``row``; a refusal does not stop the
        batch."""
        from . import arrow as _arrow

        pa = _arrow._pa()
        t = _arrow._table(scans, "scans")
        n = t.num_rows

        def text(name: str, required: bool = True) -> Any:
            col = _arrow._column(t, "scans", name, required=required)
            if col is None:
                col = pa.nulls(n, pa.string())
            return col

        person = text("person", required=False)
        token = text("token", required=False)
        cols = {
            "command_id": _arrow._strings(text("command_id"), "scans", "command_id"),
            "actor": _arrow._strings(text("actor"), "scans", "actor"),
            "kind": _arrow._strings(text("kind"), "scans", "kind"),
            "session": _arrow._strings(text("session"), "scans", "session"),
            "person": _arrow._strings(person.fill_null(""), "scans", "person"),
            "token": _arrow._strings(token.fill_null(""), "scans", "token"),
            "person_set": _arrow._flags(pa.compute.is_valid(person)),
            "at": _arrow._instants(_arrow._column(t, "scans", "at"), "scans", "at"),
        }
        if "time" in t.column_names:
            cols["time"] = _arrow._instants(_arrow._column(t, "scans", "time"), "scans", "time")
        applied, refused = _tijdreg.apply_scan_columns(self._native, cols)
        return applied, [Failed(code=c, rule=r, kind="", message=nl, message_en=en, message_nl=nl, row=row)
                         for row, c, r, nl, en in refused]

    def preview(self, command: CommandLike, *, actor: str, at: _dt.datetime, command_id: str = "preview") -> List[Dict[str, Any]]:
        """The events a command would produce, without changing anything (AUD-5)."""
        return from_json(json.loads(self._native.preview_json(json.dumps(_envelope(command, actor, at, command_id)))))

    def what_if(self, command: CommandLike, *, actor: str, at: _dt.datetime,
                command_id: Optional[str] = None) -> Dict[str, Any]:
        """The events a command would produce and, per affected project the actor may see, the
        counted minutes and amount before and after (``Decimal``), without changing anything
        (AUD-5). With the ``command_id`` of a command already applied: its original events,
        ``replayed`` true, and no change (ATT-3)."""
        body = command.to_dict() if isinstance(command, Command) else to_json(dict(command), where="command")
        result: Dict[str, Any] = self.query({"type": "what_if", "command": body}, actor=actor, at=at,
                                            command_id=command_id)
        return result

    def query(self, query: Mapping[str, Any], *, actor: str, at: _dt.datetime,
              command_id: Optional[str] = None) -> Any:
        """Any query as a dict (``{"type": "archive", "filter": {...}}``…), native values out;
        ``command_id`` is passed to ``what_if``."""
        env: Dict[str, Any] = {"actor": actor, "at": to_json(at, where="at"), "query": to_json(dict(query), where="query")}
        if command_id is not None:
            env["command_id"] = command_id
        return from_json(json.loads(self._native.query_json(json.dumps(env))))

    def set_keys(self, keys: _tijdreg.Keyring) -> None:
        """Replaces the QR keys (rotation, QR-2): tokens of a removed key stop verifying."""
        self._native.set_keys(keys)
        self._keys = keys

    def archive(self, *, actor: str, at: _dt.datetime, project: Optional[str] = None, status: Optional[str] = None,
                training: Optional[str] = None, date_from: Optional[_dt.date] = None, date_to: Optional[_dt.date] = None,
                reopened: Optional[bool] = None) -> List[Dict[str, Any]]:
        """Sessions the actor may see, filtered (ARC-1, ARC-2)."""
        f = {"project": project, "status": status, "training": training, "from": date_from, "to": date_to, "reopened": reopened}
        result: List[Dict[str, Any]] = self.query({"type": "archive", "filter": {k: v for k, v in f.items() if v is not None}}, actor=actor, at=at)
        return result

    def warnings(self, *, actor: str, at: _dt.datetime, horizon: _dt.timedelta) -> List[Dict[str, Any]]:
        """What is due within the horizon (DL-5)."""
        if horizon < _dt.timedelta(0):
            raise ValueError("the horizon must not be negative")
        minutes = int(horizon.total_seconds() // 60)
        result: List[Dict[str, Any]] = self.query({"type": "warnings", "horizon_minutes": minutes}, actor=actor, at=at)
        return result

    def pending_approvals(self, *, actor: str, at: _dt.datetime) -> List[Dict[str, Any]]:
        """E-learning entries waiting for the actor's approval (EL-2)."""
        result: List[Dict[str, Any]] = self.query({"type": "pending_approvals"}, actor=actor, at=at)
        return result

    def approved_hours(self, project: str, *, actor: str, at: _dt.datetime) -> List[Dict[str, Any]]:
        """Approved e-learning hours per participant, training and day (SUB-7)."""
        result: List[Dict[str, Any]] = self.query({"type": "approved_hours", "project": project}, actor=actor, at=at)
        return result

    def mlp_completeness(self, project: str, *, actor: str, at: _dt.datetime) -> Dict[str, Any]:
        """Missing MLP fields per participant (MLP-2)."""
        result: Dict[str, Any] = self.query({"type": "mlp_completeness", "project": project}, actor=actor, at=at)
        return result

    def report(self, project: str, *, actor: str, at: _dt.datetime) -> _tijdreg.Report:
        """The subsidy report of a project as the actor sees it (SUB, AUD-4)."""
        return self._native.report(actor, to_json(at, where="at"), project)

    def snapshot(self) -> str:
        """The state as JSON with its schema version (AUD-2)."""
        return self._native.snapshot()

    @classmethod
    def load(cls, snapshot: str, keys: Optional[_tijdreg.Keyring] = None) -> "Ledger":
        """A ledger from a snapshot."""
        return cls._wrap(_tijdreg.NativeLedger.load(snapshot, keys), keys)

    def events(self) -> List[Dict[str, Any]]:
        """The event log (recorded events, by sequence number) as dicts, each with its chained
        ``hash`` (AUD-2): what :meth:`replay` reads back."""
        result: List[Dict[str, Any]] = _loads_many(self._native.events_json())
        return result

    @classmethod
    def replay(cls, events: Sequence[Mapping[str, Any]], keys: Optional[_tijdreg.Keyring] = None) -> "Ledger":
        """A ledger rebuilt from an event log as returned by :meth:`events` (AUD-2)."""
        return cls._wrap(_tijdreg.NativeLedger.replay_json(json.dumps(list(events)), keys), keys)

    def events_jsonl(self) -> str:
        """The event log as JSON lines, one hash-chained line per event (AUD-1, AUD-2), as the
        ledger keeps it: what a host stores and :meth:`replay_jsonl` reads back. Cheaper than
        :meth:`events` for a long log (no dict per event)."""
        return self._native.events_jsonl()

    @classmethod
    def replay_jsonl(cls, log: Union[str, bytes], keys: Optional[_tijdreg.Keyring] = None) -> "Ledger":
        """A ledger rebuilt from JSON lines as :meth:`events_jsonl` writes them (text, or bytes
        read from a file), without the GIL (AUD-2). A reordered, cut, altered or duplicated log
        is refused (``InvalidInputError``, code ``damaged_log``) naming its first bad line.

        >>> import datetime as dt
        >>> from tijdreg import Ledger, commands as c
        >>> led = Ledger()
        >>> _ = led.apply(c.CreateOrganisation("vdab", "VDAB"), actor="system",
        ...               at=dt.datetime(2026, 3, 2, 8, tzinfo=dt.timezone.utc), command_id="c1")
        >>> Ledger.replay_jsonl(led.events_jsonl()).snapshot() == led.snapshot()
        True
        """
        return cls._wrap(_tijdreg.NativeLedger.replay_jsonl(log, keys), keys)

    @property
    def event_count(self) -> int:
        return self._native.event_count
