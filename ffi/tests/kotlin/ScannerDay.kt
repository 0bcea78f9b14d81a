// A scanner app's day with the typed API only (no JSON anywhere): a host sets up a project,
// the trainer's phone scans online, the network drops, the phone keeps scanning offline
// (ATT-6), survives a restart, reconnects and sends its signed batch; the session view and
// the report show what happened, clock_suspect included. docs/mobile.md walks through it.
import uniffi.tijdreg_ffi.*
import java.math.BigDecimal
import java.time.Duration
import java.time.Instant
import java.time.LocalDate
import java.time.LocalTime

fun scannerDay(check: (Boolean, String) -> Unit) {
    val engine = Engine(listOf(QrKey("k1", "kotlin-secret-0123456789".toByteArray())))
    var n = 0
    fun ctx(actor: String, at: String) = Context("cmd-${n++}", actor, Instant.parse(at))
    val setup = "2026-01-05T07:00:00Z"

    // The host: organisation, call, people, grants, project, training, session, device.
    val deviceKey = "phone-1 key: 32 random bytes....".toByteArray()
    listOf(
        HostCommand.CreateOrganisation("vzw", "vzw Leren Werkt"),
        HostCommand.CreateCall("c-472", "Oproep 472"),
        HostCommand.SetParameter("c-472", LocalDate.of(2026, 1, 1), "unit_cost_per_participant_hour", "12.00"),
        HostCommand.RegisterPerson("p-olivia", "Olivia", "olivia@example.be", null, "vzw"),
        HostCommand.RegisterPerson("p-tom", "Tom", "tom@example.be", null, "vzw"),
        HostCommand.RegisterPerson("p-ann", "Ann", "ann@example.be", "85.07.30-033.28", null),
        HostCommand.RegisterPerson("p-bart", "Bart", "bart@example.be", null, null),
        HostCommand.GrantRole("g-olivia", "p-olivia", "OrganisationResponsible", "vzw", LocalDate.of(2026, 1, 1), null),
        HostCommand.GrantRole("g-tom", "p-tom", "Trainer", "vzw", LocalDate.of(2026, 1, 1), LocalDate.of(2026, 12, 31)),
        HostCommand.CreateProject("P-1", "2026-472-001", "c-472", "vzw"),
        HostCommand.AddTraining("T-1", "P-1", "LAS-01", "Lassen basis"),
    ).forEach { engine.applyHost(ctx("system", setup), it) }
    listOf(
        HostCommand.PlanSession("S-1", "T-1", LocalDate.of(2026, 3, 2), LocalTime.of(9, 0), LocalTime.of(12, 0),
            listOf("p-tom"), listOf("p-ann", "p-bart")),
        HostCommand.RegisterDevice("phone-1", "P-1", deviceKey, LocalDate.of(2026, 1, 1), null),
    ).forEach { engine.applyHost(ctx("p-olivia", "2026-02-20T09:00:00Z"), it) }
    try {
        engine.applyHost(ctx("p-tom", "2026-02-20T09:00:00Z"), HostCommand.RegisterDevice("phone-2", "P-1", deviceKey, LocalDate.of(2026, 1, 1), null))
        check(false, "a trainer registered a device")
    } catch (e: TijdregException.AccessDenied) {
        check(e.rule.startsWith("ACC"), "only an OrganisationResponsible registers a device")
    }

    // The trainer's list of the day to pick the session from (ARC-1): only what Tom may see.
    val today = engine.sessions("p-tom", Instant.parse("2026-03-02T07:30:00Z"), LocalDate.parse("2026-03-02"), LocalDate.parse("2026-03-02"), null)
    check(today.map { it.session } == listOf("S-1") && today[0].status == Status.PLANNED && today[0].start == Instant.parse("2026-03-02T08:00:00Z"),
        "the day's sessions, typed")

    // Online in the morning: start, scan Ann's QR code.
    val started = engine.applyScanner(ctx("p-tom", "2026-03-02T07:40:00Z"), ScannerCommand.StartSession("S-1"))
    check(started.events.any { it is ScannerEvent.SessionStarted }, "session started")
    val annToken = engine.issueQrToken("k1", "P-1", "p-ann")
    val scanned = engine.applyScanner(ctx("p-tom", "2026-03-02T07:55:00Z"),
        ScannerCommand.CheckIn("S-1", Who.Token(annToken), null))
    val checkedIn = scanned.events.filterIsInstance<ScannerEvent.CheckedIn>().single()
    check(checkedIn.person == "p-ann" && checkedIn.registeredBy == RegisteredBy.SCAN &&
        checkedIn.time == Instant.parse("2026-03-02T07:55:00Z"), "online QR check-in, typed event")
    try {
        engine.applyScanner(ctx("p-tom", "2026-03-02T07:56:00Z"), ScannerCommand.CheckIn("S-1", Who.Token(annToken), null))
        check(false, "a second check-in was accepted")
    } catch (e: TijdregException.Conflict) {
        check(e.code == "already_present" && e.rule == "ATT-3", "a refusal names its code and rule")
    }

    // The phone synchronises at 09:00 and then loses the network.
    val sync = engine.applyScanner(ctx("p-tom", "2026-03-02T08:00:00Z"), ScannerCommand.SyncDevice("phone-1"))
    check(sync.events.single() is ScannerEvent.DeviceSynced, "sync recorded")
    val phone = OfflineScanner(("phone-1"), deviceKey, "p-tom")
    phone.synced(sync.at)
    // Its clock runs 12 minutes fast: the scans are flagged, still applied at sync + elapsed.
    phone.scan(ScanKind.CHECK_IN, "S-1", Who.Person("p-bart"), Instant.parse("2026-03-02T08:32:00Z"), Duration.ofMinutes(20))
    phone.scan(ScanKind.CHECK_OUT, "S-1", Who.Person("p-bart"), Instant.parse("2026-03-02T10:42:00Z"), Duration.ofMinutes(150))
    check(phone.pending() == 2uL, "two scans queued offline")

    // The app is killed and restarted: the queue comes back from disk.
    val stored = phone.toStored()
    check(stored.contains("phone-1") && !stored.contains(String(deviceKey)), "the queue is a string to store, the key not in clear")
    val restarted = OfflineScanner.fromStored(stored)
    check(restarted.pending() == 2uL, "the queue survives a restart")

    // A forged batch is refused whole.
    val batch = restarted.batch()!!
    try {
        engine.applyScanner(ctx("p-tom", "2026-03-02T10:40:00Z"), ScannerCommand.SubmitOfflineBatch(batch.copy(signature = "forged")))
        check(false, "a forged batch was accepted")
    } catch (e: TijdregException.Rejected) {
        check(e.code == "invalid_batch_signature" && e.rule == "ATT-6", "forged batch refused (ATT-6)")
    }

    // Back online at 11:40: the batch, scan by scan.
    val sent = engine.applyScanner(ctx("p-tom", "2026-03-02T10:40:00Z"), ScannerCommand.SubmitOfflineBatch(batch))
    val applied = sent.events.filterIsInstance<ScannerEvent.OfflineScanApplied>()
    check(applied.size == 2 && applied[0].time == Instant.parse("2026-03-02T08:20:00Z") &&
        applied[1].time == Instant.parse("2026-03-02T10:30:00Z"), "applied at the reconstructed instants")
    val results = sent.events.filterIsInstance<ScannerEvent.OfflineBatchReceived>().single().results
    check(results.all { it.outcome == ScanOutcome.APPLIED && it.clockSuspect }, "every scan applied, flagged clock_suspect")
    restarted.acknowledge(results)
    check(restarted.pending() == 0uL && restarted.batch() == null, "acknowledged scans leave the queue")

    // Sending the same batch again changes nothing.
    val again = engine.applyScanner(ctx("p-tom", "2026-03-02T10:41:00Z"), ScannerCommand.SubmitOfflineBatch(batch))
    check(again.events.filterIsInstance<ScannerEvent.OfflineBatchReceived>().single().results
        .all { it.outcome == ScanOutcome.ALREADY_APPLIED }, "a replayed batch is already applied")

    // Online again: Ann leaves, Tom closes the session.
    engine.applyScanner(ctx("p-tom", "2026-03-02T11:00:00Z"), ScannerCommand.CheckOut("S-1", Who.Token(annToken), null))
    engine.applyScanner(ctx("p-tom", "2026-03-02T11:05:00Z"), ScannerCommand.CloseSession("S-1"))

    // What the scanner shows.
    val view = engine.sessionView("p-tom", Instant.parse("2026-03-02T11:10:00Z"), "S-1")
    check(view.status == Status.EXECUTED && view.date == LocalDate.of(2026, 3, 2), "session view: executed")
    check(view.deadline == Instant.parse("2026-03-03T09:00:00Z"), "deadline: 10:00 Brussels the next working day (DL-2)")
    val bart = view.participants.single { it.person == "p-bart" }
    check(bart.presences.single().clockSuspect && bart.presences.single().checkedInBy == RegisteredBy.OFFLINE_SCAN,
        "the offline stretch is marked")

    // The report: 09:00–12:00 for Ann (180 min), 09:20–11:30 for Bart (130 min), 12.00 an hour.
    val report = engine.report("p-olivia", Instant.parse("2026-03-10T11:00:00Z"), "P-1")
    check(report.countedMinutes == 310L, "310 counted minutes")
    check(report.total.compareTo(BigDecimal("62.00")) == 0, "total 62.00 as a BigDecimal")
    val bartLine = report.lines.single { it.person == "p-bart" }
    check(bartLine.clockSuspect && bartLine.date == LocalDate.of(2026, 3, 2) && bartLine.countedMinutes == 130L,
        "the report line shows clock_suspect")
    check(report.lines.none { it.person.contains("85") }, "no national number in the report")
}
