// The conformance cases (docs/conformance.md) through the uniffi Kotlin bindings: same files,
// same matching rules, same output lines as the Rust, Python and C runners. JSON via gson.
import com.google.gson.JsonArray
import com.google.gson.JsonElement
import com.google.gson.JsonNull
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import com.google.gson.JsonPrimitive
import java.io.File
import java.math.BigDecimal
import java.time.OffsetDateTime
import uniffi.tijdreg_ffi.*

class Refused(val code: String, val rule: String, val nl: String, val en: String) : Exception(en)

fun refused(e: TijdregException): Refused = when (e) {
    is TijdregException.InvalidInput -> Refused(e.code, e.rule, e.messageNl, e.messageEn)
    is TijdregException.AccessDenied -> Refused(e.code, e.rule, e.messageNl, e.messageEn)
    is TijdregException.NotFound -> Refused(e.code, e.rule, e.messageNl, e.messageEn)
    is TijdregException.Conflict -> Refused(e.code, e.rule, e.messageNl, e.messageEn)
    is TijdregException.Rejected -> Refused(e.code, e.rule, e.messageNl, e.messageEn)
}

fun <T> call(f: () -> T): T = try { f() } catch (e: TijdregException) { throw refused(e) }

fun scalar(e: JsonElement): String? =
    if (e is JsonPrimitive && (e.isString || e.isNumber)) e.asString else null

fun decimal(s: String): BigDecimal? = try { BigDecimal(s) } catch (x: NumberFormatException) { null }

fun instant(s: String): java.time.Instant? =
    if (!s.contains('T')) null else try { OffsetDateTime.parse(s).toInstant() } catch (x: Exception) { null }

/** Subset match: objects by subset (null matches absent), arrays by length and position,
 *  numbers and decimal strings by value, instants by moment. */
fun matches(want: JsonElement, got: JsonElement?): Boolean {
    if (want is JsonObject) {
        if (got !is JsonObject) return false
        return want.entrySet().all { (k, v) -> if (got.has(k)) matches(v, got.get(k)) else v.isJsonNull }
    }
    if (want is JsonArray) {
        if (got !is JsonArray || got.size() != want.size()) return false
        return (0 until want.size()).all { matches(want[it], got[it]) }
    }
    if (got == null) return false
    val a = scalar(want)
    val b = scalar(got)
    if (a != null && b != null) {
        if (a == b) return true
        val x = decimal(a); val y = decimal(b)
        if (x != null && y != null && x.compareTo(y) == 0) return true
        val s = instant(a); val t = instant(b)
        return s != null && t != null && s == t
    }
    return want == got
}

fun expand(e: JsonElement, engine: Engine): JsonElement = when {
    e is JsonPrimitive && e.isString && e.asString.startsWith("\$qr") -> {
        val (kind, rest) = e.asString.split(":", limit = 2)
        val (key, project, person) = rest.split(":", limit = 3)
        val t = engine.issueQrToken(key, project, person)
        JsonPrimitive(when (kind) {
            "\$qr" -> t
            "\$qr-truncated" -> t.dropLast(5)
            "\$qr-altered" -> { val i = t.length - 10; t.substring(0, i) + (if (t[i] == 'A') 'B' else 'A') + t.substring(i + 1) }
            else -> error("unknown template $kind")
        })
    }
    e is JsonObject -> JsonObject().also { o -> e.entrySet().forEach { (k, v) -> o.add(k, expand(v, engine)) } }
    e is JsonArray -> JsonArray().also { a -> e.forEach { a.add(expand(it, engine)) } }
    else -> e
}

fun checkRejection(want: JsonObject, r: Refused): String? {
    val w = want.deepCopy()
    val contains = w.remove("message_contains")?.asString
    val actual = JsonObject().apply {
        addProperty("code", r.code); addProperty("rule", r.rule); addProperty("message", r.nl); addProperty("message_en", r.en)
    }
    if (!matches(w, actual)) return "expected rejection $w, got $actual"
    if (contains != null && !r.en.contains(contains) && !r.nl.contains(contains)) return "message ${r.en} does not contain $contains"
    return null
}

fun runStep(engine: Engine, step: JsonObject, defaultId: String, mustAccept: Boolean): String? {
    val label = step.get("label")?.asString ?: defaultId
    val expect: JsonElement = step.get("expect") ?: (if (mustAccept) JsonPrimitive("accepted") else return "$label: a step needs an expect")
    val env = JsonObject().apply {
        addProperty("command_id", step.get("id")?.asString ?: defaultId)
        add("actor", step.get("actor")); add("at", step.get("at"))
        add("command", expand(step.get("command"), engine))
    }
    val before = engine.snapshot()
    val out = try {
        JsonParser.parseString(call { engine.applyJson(env.toString()) }).asJsonObject
    } catch (r: Refused) {
        val rej = if (expect is JsonObject) expect.getAsJsonObject("rejected") else null
            ?: return "$label: rejected ${r.code} (${r.rule}): ${r.en}"
        if (engine.snapshot() != before) return "$label: a rejected command changed the state"
        return checkRejection(rej, r)?.let { "$label: $it" }
    }
    val events = out.getAsJsonArray("events").map { it.asJsonObject.getAsJsonObject("event") }
    val kinds = events.map { it.get("type").asString }
    if (expect is JsonPrimitive && expect.asString == "accepted") return null
    val want = (expect as? JsonObject)?.getAsJsonObject("accepted") ?: return "$label: accepted ($kinds) but expected $expect"
    want.get("replayed")?.let { if (it.asBoolean != out.get("replayed").asBoolean) return "$label: replayed differs" }
    want.getAsJsonArray("events")?.let { w ->
        val ok = w.size() == events.size && (0 until w.size()).all { i ->
            val e = w[i]
            if (e is JsonPrimitive) e.asString == kinds[i] else matches(e, events[i])
        }
        if (!ok) return "$label: events $kinds do not match $w"
    }
    return null
}

fun runQuery(engine: Engine, q: JsonObject, i: Int): String? {
    val label = q.get("label")?.asString ?: "query $i"
    val env = JsonObject().apply { add("actor", q.get("actor")); add("at", q.get("at")); add("query", q.get("query")) }
    val answer = try {
        JsonParser.parseString(call { engine.queryJson(env.toString()) })
    } catch (r: Refused) {
        val want = q.getAsJsonObject("expect_error") ?: return "$label: error ${r.code} (${r.rule}): ${r.en}"
        return checkRejection(want, r)?.let { "$label: $it" }
    }
    val want = q.get("expect") ?: return "$label: expected an error, got $answer"
    return if (matches(want, answer)) null else "$label: expected $want, got $answer"
}

fun runCase(dir: File, file: File): Pair<String, List<String>> {
    val case = JsonParser.parseString(file.readText()).asJsonObject
    val name = case.get("name")?.asString ?: file.name
    val keys = case.getAsJsonObject("qr_keys")?.entrySet()?.map { (k, v) -> QrKey(k, v.asString.toByteArray()) } ?: listOf()
    val engine = Engine(keys)
    val stem = file.name.removeSuffix(".json")
    val setup = mutableListOf<JsonObject>()
    case.getAsJsonArray("fixtures")?.forEach { fx ->
        val f = JsonParser.parseString(File(dir, "fixtures/${fx.asString}.json").readText()).asJsonObject
        f.getAsJsonArray("steps").forEach { setup.add(it.asJsonObject) }
    }
    case.getAsJsonArray("setup")?.forEach { setup.add(it.asJsonObject) }
    setup.forEachIndexed { i, s -> runStep(engine, s, "$stem-setup-$i", true)?.let { return name to listOf("setup: $it") } }
    val failures = mutableListOf<String>()
    case.getAsJsonArray("steps")?.forEachIndexed { i, s -> runStep(engine, s.asJsonObject, "$stem-$i", false)?.let { failures.add(it) } }
    case.getAsJsonArray("queries")?.forEachIndexed { i, q -> runQuery(engine, q.asJsonObject, i)?.let { failures.add(it) } }
    return name to failures
}

/** Runs every case file of a folder; prints one line each and "N passed, M failed". */
fun runConformance(path: String): Int {
    val dir = File(path)
    var passed = 0
    var failed = 0
    dir.listFiles { f -> f.isFile && f.name.endsWith(".json") }!!.sortedBy { it.name }.forEach { f ->
        val (name, failures) = runCase(dir, f)
        if (failures.isEmpty()) { passed++; println("ok   ${f.name} — $name") }
        else { failed++; println("FAIL ${f.name} — $name: ${failures.joinToString(" | ")}") }
    }
    println("$passed passed, $failed failed")
    return failed
}
