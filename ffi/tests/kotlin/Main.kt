// The uniffi Kotlin bindings, as a mobile scanner app would use them: a day of one session
// with QR scans, a refusal by rule, the report, through the JSON surface; the same day with
// the typed surface and offline scans (ScannerDay.kt); then, given a folder, every conformance case
// (Conformance.kt). Prints "N passed, M failed".
import uniffi.tijdreg_ffi.*

var passed = 0
var failed = 0

fun check(ok: Boolean, what: String) {
    if (ok) passed++ else { failed++; println("FAIL $what") }
}

fun env(id: String, actor: String, at: String, command: String) =
    """{"command_id":"$id","actor":"$actor","at":"$at","command":$command}"""

fun main(args: Array<String>) {
    check(version() == "0.1.0", "version")
    val insz = parseInsz("85.07.30-033.28")
    check(insz.masked == "85.07.30-xxx.xx" && insz.birthDate == "1985-07-30", "insz masked")
    try {
        parseInsz("12345678901"); check(false, "invalid insz accepted")
    } catch (e: TijdregException.InvalidInput) {
        check(e.code == "invalid_insz" && e.rule == "ID-1", "invalid insz code and rule")
    }
    check(registrationDeadline("2025-07-10", "FlemishGovernment") == "2025-07-14T08:00:00+00:00", "deadline DL-3")

    val engine = Engine(listOf(QrKey("k1", "kotlin-secret-0123456789".toByteArray())))
    val sys = "2026-01-05T08:00:00+01:00"
    val setup = listOf(
        """{"type":"create_organisation","organisation":"vzw","name":"vzw"}""",
        """{"type":"create_call","call":"c","name":"c"}""",
        """{"type":"set_parameter","call":"c","valid_from":"2026-01-01","parameter":{"name":"unit_cost_per_participant_hour","value":"12.00"}}""",
        """{"type":"register_person","person":"p-t","name":"T","email":"t@x.be","organisation":"vzw"}""",
        """{"type":"register_person","person":"p-a","name":"A","email":"a@x.be"}""",
        """{"type":"grant_role","grant":"g","person":"p-t","role":"Trainer","organisation":"vzw","valid_from":"2026-01-01"}""",
        """{"type":"grant_role","grant":"g2","person":"p-t","role":"OrganisationResponsible","organisation":"vzw","valid_from":"2026-01-01"}""",
        """{"type":"create_project","project":"P","number":"1","call":"c","promoter":"vzw"}""",
        """{"type":"add_training","training":"T","project":"P","code":"T1","name":"T","kind":"Classroom"}"""
    )
    setup.forEachIndexed { i, c -> engine.applyJson(env("s$i", "system", sys, c)) }
    val plan = engine.applyJson(env("p1", "p-t", "2026-02-20T10:00:00+01:00",
        """{"type":"plan_session","session":"S","training":"T","date":"2026-03-02","start":"09:00:00","end":"12:00:00","trainers":["p-t"],"participants":["p-a"]}"""))
    check(plan.contains("qr_code_to_send"), "QR-1 effect on planning")
    engine.applyJson(env("p2", "p-t", "2026-03-02T08:45:00+01:00", """{"type":"start_session","session":"S"}"""))
    val token = engine.issueQrToken("k1", "P", "p-a")
    val scan = engine.applyJson(env("p3", "p-t", "2026-03-02T08:55:00+01:00", """{"type":"check_in","session":"S","token":"$token"}"""))
    check(scan.contains("\"method\":\"scan\""), "scan check-in")
    val retry = engine.applyJson(env("p3", "p-t", "2026-03-02T08:55:00+01:00", """{"type":"check_in","session":"S","token":"$token"}"""))
    check(retry.contains("\"replayed\":true"), "retry replayed (ATT-3)")
    try {
        engine.applyJson(env("p4", "p-t", "2026-03-02T09:00:00+01:00", """{"type":"check_in","session":"S","token":"$token"}"""))
        check(false, "second check-in accepted")
    } catch (e: TijdregException.Conflict) {
        check(e.code == "already_present" && e.rule == "ATT-3" && e.messageNl.contains("aanwezig"), "already present")
    }
    engine.applyJson(env("p5", "p-t", "2026-03-02T12:00:00+01:00", """{"type":"check_out","session":"S","token":"$token"}"""))
    engine.applyJson(env("p6", "p-t", "2026-03-02T12:05:00+01:00", """{"type":"close_session","session":"S"}"""))
    val report = engine.reportJson("p-t", "2026-03-10T12:00:00+01:00", "P")
    check(report.contains("\"total\":\"36.00\""), "report 09:00-12:00 = 180 min x 12.00 = 36.00 (check-in before the start does not count)")
    val again = Engine.load(engine.snapshot(), listOf())
    check(again.snapshot() == engine.snapshot(), "snapshot round trip")
    // The scanner day with the typed API only (ATT-6 offline scans included).
    scannerDay(::check)
    println("$passed passed, $failed failed")
    // Then every conformance case, when given the folder.
    val caseFailures = if (args.isNotEmpty()) runConformance(args[0]) else 0
    if (failed > 0 || caseFailures > 0) kotlin.system.exitProcess(1)
}
