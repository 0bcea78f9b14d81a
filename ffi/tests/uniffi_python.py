"""The uniffi bindings, driven from Python: API checks, then every conformance case.

    python ffi/tests/uniffi_python.py BINDINGS_DIR CASES_DIR

BINDINGS_DIR holds the generated ``tijdreg_ffi.py`` and ``libtijdreg_ffi.so``. The case
runner is the one of the Python package (``python/pysrc/tijdreg/conformance.py``), loaded by
path and driven through the uniffi ``Engine`` with JSON — the same files, the same lines.
"""

import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "..", "..", "python", "pysrc", "tijdreg", "conformance.py")


def load_runner():
    spec = importlib.util.spec_from_file_location("tijdreg_conformance_runner", RUNNER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> int:
    bindings, cases = sys.argv[1], sys.argv[2]
    sys.path.insert(0, bindings)
    import tijdreg_ffi as ffi

    runner = load_runner()

    class UniffiDriver(runner.Driver):
        def new(self, keys):
            self.keys = dict(keys)
            self.engine = ffi.Engine([ffi.QrKey(key_id=k, secret=v) for k, v in keys.items()])
            # Issues tokens with every key the case named, also retired ones.
            self.union = dict(keys)
            self.issuer = ffi.Engine([ffi.QrKey(key_id=k, secret=v) for k, v in self.union.items()])

        def set_keys(self, keys):
            self.keys = dict(keys)
            self.union.update(keys)
            self.issuer = ffi.Engine([ffi.QrKey(key_id=k, secret=v) for k, v in self.union.items()])
            self._call(self.engine.set_qr_keys, [ffi.QrKey(key_id=k, secret=v) for k, v in keys.items()])

        def _call(self, f, *args):
            try:
                return f(*args)
            except ffi.TijdregError as e:
                raise runner.Refused(e.code, e.rule, e.message_nl, e.message_en) from None

        def apply(self, envelope):
            return json.loads(self._call(self.engine.apply_json, json.dumps(envelope)))

        def query(self, envelope):
            return json.loads(self._call(self.engine.query_json, json.dumps(envelope)))

        def snapshot(self):
            return self.engine.snapshot()

        def reload(self, source):
            keys = [ffi.QrKey(key_id=k, secret=v) for k, v in self.keys.items()]
            if source == "snapshot":
                self.engine = self._call(ffi.Engine.load, self.engine.snapshot(), keys)
            else:
                self.engine = self._call(ffi.Engine.replay, self.engine.events_jsonl(), keys)

        def issue(self, key_id, project, person):
            return self.issuer.issue_qr_token(key_id, project, person)

    # API checks that the case files do not cover.
    assert ffi.version() == "0.1.0"
    info = ffi.parse_insz("85.07.30-033.28")
    assert info.masked == "85.07.30-xxx.xx" and info.birth_date == "1985-07-30" and info.sex == "M", info
    assert "03328" not in repr(info)
    try:
        ffi.parse_insz("12345678901")
        raise AssertionError("an invalid INSZ was accepted")
    except ffi.TijdregError.InvalidInput as e:
        assert (e.code, e.rule) == ("invalid_insz", "ID-1") and "controlecijfers" in e.message_nl
    assert ffi.registration_deadline("2025-07-10", "FlemishGovernment") == "2025-07-14T08:00:00+00:00"
    assert ffi.registration_deadline("2025-07-10", "BelgianLegal") == "2025-07-11T08:00:00+00:00"
    try:
        ffi.Engine([ffi.QrKey(key_id="k", secret=b"short")])
        raise AssertionError("a short key was accepted")
    except ffi.TijdregError.InvalidInput:
        pass
    engine = ffi.Engine([ffi.QrKey(key_id="k1", secret=b"uniffi-secret-0123456789")])
    token = engine.issue_qr_token("k1", "P-1", "p-ann")
    subject = engine.verify_qr_token(token)
    assert (subject.project, subject.person) == ("P-1", "p-ann")
    try:
        engine.apply_json("{not json")
        raise AssertionError("bad JSON accepted")
    except ffi.TijdregError.InvalidInput as e:
        assert e.code == "invalid_input"
    out = json.loads(engine.apply_json(json.dumps({"command_id": "c1", "actor": "system", "at": "2026-01-05T08:00:00+01:00",
                                                   "command": {"type": "create_organisation", "organisation": "o", "name": "O"}})))
    assert out["events"][0]["event"]["type"] == "organisation_created"
    again = ffi.Engine.load(engine.snapshot(), [])
    assert again.snapshot() == engine.snapshot() and again.event_count() == 1
    replayed = ffi.Engine.replay(engine.events_jsonl(), [])
    assert replayed.snapshot() == engine.snapshot()
    try:
        ffi.Engine.replay(engine.events_jsonl().replace('"name":"O"', '"name":"Q"'), [])
        raise AssertionError("an altered log was replayed")
    except ffi.TijdregError.InvalidInput as e:
        assert e.code == "damaged_log" and e.rule == "AUD-2", (e.code, e.rule)
    try:
        engine.apply_json(json.dumps({"command_id": "c2", "actor": "system", "at": "2026-01-05T08:00:00+01:00",
                                      "command": {"type": "create_organisation", "organisation": "o", "name": "O"}}))
        raise AssertionError("a duplicate was accepted")
    except ffi.TijdregError.Conflict as e:
        assert e.rule == "ORG-1"
    # The typed surface in Python's own types: days as datetime.date, money as Decimal,
    # instants as datetime; a bad day is the binding's error, not a crash.
    import datetime as dt
    from decimal import Decimal
    utc = dt.timezone.utc
    host = ffi.Engine([])
    ctx = lambda i, actor, at: ffi.Context(command_id=f"t{i}", actor=actor, at=at)
    t0 = dt.datetime(2026, 1, 5, 7, 0, tzinfo=utc)
    for i, c in enumerate([
        ffi.HostCommand.CREATE_ORGANISATION(organisation="vzw", name="vzw"),
        ffi.HostCommand.CREATE_CALL(call="c", name="c"),
        ffi.HostCommand.SET_PARAMETER(call="c", valid_from=dt.date(2026, 1, 1), name="unit_cost_per_participant_hour", value="12.50"),
        ffi.HostCommand.REGISTER_PERSON(person="p-o", name="O", email="o@x.be", insz=None, organisation="vzw"),
        ffi.HostCommand.REGISTER_PERSON(person="p-a", name="A", email="a@x.be", insz=None, organisation=None),
        ffi.HostCommand.GRANT_ROLE(grant="g", person="p-o", role="OrganisationResponsible", organisation="vzw",
                                   valid_from=dt.date(2026, 1, 1), valid_until=None),
        ffi.HostCommand.CREATE_PROJECT(project="P", number="1", call="c", promoter="vzw"),
        ffi.HostCommand.ADD_TRAINING(training="T", project="P", code="T1", name="T"),
    ]):
        host.apply_host(ctx(i, "system", t0), c)
    host.apply_host(ctx(20, "p-o", t0), ffi.HostCommand.PLAN_SESSION(
        session="S", training="T", date=dt.date(2026, 3, 2), start=dt.time(9, 0), end=dt.time(12, 0),
        trainers=["p-o"], participants=["p-a"]))
    host.apply_scanner(ctx(21, "p-o", dt.datetime(2026, 3, 2, 7, 50, tzinfo=utc)), ffi.ScannerCommand.START_SESSION(session="S"))
    out = host.apply_scanner(ctx(22, "p-o", dt.datetime(2026, 3, 2, 8, 0, tzinfo=utc)),
                             ffi.ScannerCommand.CHECK_IN(session="S", who=ffi.Who.PERSON(person="p-a"), time=None))
    assert isinstance(out.events[0], ffi.ScannerEvent.CHECKED_IN) and out.events[0].registered_by == ffi.RegisteredBy.MANUAL
    host.apply_scanner(ctx(23, "p-o", dt.datetime(2026, 3, 2, 11, 0, tzinfo=utc)),
                       ffi.ScannerCommand.CHECK_OUT(session="S", who=ffi.Who.PERSON(person="p-a"), time=None))
    host.apply_scanner(ctx(24, "p-o", dt.datetime(2026, 3, 2, 11, 0, tzinfo=utc)), ffi.ScannerCommand.CLOSE_SESSION(session="S"))
    view = host.session_view("p-o", dt.datetime(2026, 3, 2, 12, 0, tzinfo=utc), "S")
    assert view.date == dt.date(2026, 3, 2) and view.status == ffi.Status.EXECUTED
    # The sessions a scanner lists to pick from (ARC-1, ARC-2): by day, only what the actor sees.
    noon = dt.datetime(2026, 3, 2, 12, 0, tzinfo=utc)
    items = host.sessions("p-o", noon, dt.date(2026, 3, 2), dt.date(2026, 3, 2), None)
    assert [(i.session, i.date, i.status, i.participants, i.reopened) for i in items] == \
        [("S", dt.date(2026, 3, 2), ffi.Status.EXECUTED, 1, False)], items
    assert items[0].start == dt.datetime(2026, 3, 2, 8, 0, tzinfo=utc) and items[0].deadline > items[0].end
    assert host.sessions("p-o", noon, dt.date(2026, 3, 3), None, None) == []
    assert host.sessions("p-o", noon, None, None, "P") == items
    assert host.sessions("p-a", noon, None, None, None) == []
    report = host.report("p-o", dt.datetime(2026, 3, 10, tzinfo=utc), "P")
    assert report.total == Decimal("37.50") and isinstance(report.total, Decimal), report.total
    assert report.lines[0].date == dt.date(2026, 3, 2) and report.counted_minutes == 180
    try:
        host.session_view("p-a", dt.datetime(2026, 3, 2, 12, 0, tzinfo=utc), "S")
        raise AssertionError("a participant saw the session")
    except ffi.TijdregError.AccessDenied as e:
        assert e.rule == "ACC-6"
    print("uniffi API checks: 17 passed, 0 failed")

    passed, failed, lines = runner.run_dir(cases, UniffiDriver)
    for line in lines:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
