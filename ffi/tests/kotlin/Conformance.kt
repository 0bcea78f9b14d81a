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

/** Subset match: objects by subset (null matches absent), arrays by length and position or,
 *  written {"$unordered": [...]}, in any order; numbers and decimal strings by value,
 *  instants by moment. */
fun matches(want: JsonElement, got: JsonElement?): Boolean {
    if (want is JsonObject && want.size() == 1 && want.has("\$unordered") && got is JsonArray) {
        val w = want.getAsJsonArray("\$unordered") ?: return false
        return w.size() == got.size() && pair(w.toList(), got.toList(), BooleanArray(got.size()))
    }
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

fun pair(want: List<JsonElement>, got: List<JsonElement>, used: BooleanArray): Boolean {
    if (want.isEmpty()) return true
    for (i in got.indices) {
        if (!used[i] && matches(want[0], got[i])) {
            used[i] = true
            if (pair(want.drop(1), got, used)) return true
            used[i] = false
        }
    }
    return false
}

fun expand(e: JsonElement, issuer: Engine): JsonElement = when {
    e is JsonPrimitive && e.isString && e.asString.startsWith("\$qr") -> {
        val (kind, rest) = e.asString.split(":", limit = 2)
        val (key, project, person) = rest.split(":", limit = 3)
        val t = issuer.issueQrToken(key, project, person)
        JsonPrimitive(when (kind) {
            "\$qr" -> t
            "\$qr-truncated" -> t.dropLast(5)
            "\$qr-altered" -> { val i = t.length - 10; t.substring(0, i) + (if (t[i] == 'A') 'B' else 'A') + t.substring(i + 1) }
            else -> error("unknown template $kind")
        })
    }
    e is JsonObject -> JsonObject().also { o -> e.entrySet().forEach { (k, v) -> o.add(k, expand(v, issuer)) } }
    e is JsonArray -> JsonArray().also { a -> e.forEach { a.add(expand(it, issuer)) } }
    else -> e
}

fun errorJson(r: Refused): JsonObject = JsonObject().apply {
    addProperty("code", r.code); addProperty("rule", r.rule); addProperty("message", r.nl); addProperty("message_en", r.en)
}

fun checkRejection(want: JsonObject, r: Refused): String? {
    val w = want.deepCopy()
    val contains = w.remove("message_contains")?.asString
    val actual = errorJson(r)
    if (!matches(w, actual)) return "expected rejection $w, got $actual"
    if (contains != null && !r.en.contains(contains) && !r.nl.contains(contains)) return "message ${r.en} does not contain $contains"
    return null
}

val CASE_FIELDS = setOf("name", "rules", "description", "fixtures", "qr_keys", "setup", "steps", "queries")
val COMMAND_FIELDS = setOf("id", "label", "actor", "at", "command", "expect", "same_as", "must_not_contain")
val QUERY_FIELDS = setOf("label", "actor", "at", "query", "command_id", "expect", "expect_error", "same_as", "must_not_contain")
val KEYS_FIELDS = setOf("label", "qr_keys")
val RELOAD_FIELDS = setOf("label", "reload")

fun unknown(o: JsonObject, known: Set<String>): String? {
    val bad = o.keySet().filter { it !in known }.sorted()
    return if (bad.isEmpty()) null else "unknown field(s) $bad"
}

fun keyList(o: JsonObject): List<QrKey> = o.entrySet().map { (k, v) -> QrKey(k, v.asString.toByteArray()) }

/** A case being run: the engine, its current keys (a reloaded engine is given them again),
 *  an issuer holding every key the case named, and the outcomes of labelled entries (for
 *  same_as). */
class Run(var keys: JsonObject) {
    val union = JsonObject().also { u -> keys.entrySet().forEach { (k, v) -> u.add(k, v) } }
    var engine = Engine(keyList(keys))
    var issuer = Engine(keyList(union))
    val outcomes = HashMap<String, JsonElement>()

    fun entry(step: JsonObject, defaultId: String, mustAccept: Boolean): String? {
        val label = step.get("label")?.asString ?: defaultId
        if (step.has("reload") && !step.has("command") && !step.has("query")) {
            unknown(step, RELOAD_FIELDS)?.let { return "$label: $it" }
            return reload(step.get("reload"))?.let { "$label: $it" }
        }
        if (step.has("qr_keys") && !step.has("command") && !step.has("query")) {
            unknown(step, KEYS_FIELDS)?.let { return "$label: $it" }
            keys = step.getAsJsonObject("qr_keys")
            keys.entrySet().forEach { (k, v) -> union.add(k, v) }
            issuer = Engine(keyList(union))
            call { engine.setQrKeys(keyList(keys)) }
            return null
        }
        val (outcome, failure) = if (step.has("query")) {
            unknown(step, QUERY_FIELDS)?.let { return "$label: $it" }
            query(step)
        } else {
            unknown(step, COMMAND_FIELDS)?.let { return "$label: $it" }
            command(step, defaultId, mustAccept)
        }
        if (failure != null) return "$label: $failure"
        val text = outcome.toString()
        step.getAsJsonArray("must_not_contain")?.forEach { w ->
            if (text.contains(w.asString)) return "$label: the outcome contains ${w.asString}: $text"
        }
        step.get("same_as")?.asString?.let { other ->
            val o = outcomes[other] ?: return "$label: same_as names $other, which is no earlier label"
            if (o != outcome) return "$label: expected the same outcome as $other: $o, got $outcome"
        }
        outcomes[label] = outcome
        return null
    }

    /** AUD-2: the engine made again from its own snapshot ("snapshot") or its own event log
     *  ("log"), given the keys it holds now; it must give the same snapshot, to the last byte. */
    fun reload(source: JsonElement): String? {
        val from = (source as? JsonPrimitive)?.takeIf { it.isString }?.asString
        if (from != "snapshot" && from != "log") return "reload must be \"snapshot\" or \"log\""
        val before = engine.snapshot()
        val again = try {
            call { if (from == "snapshot") Engine.load(before, keyList(keys)) else Engine.replay(engine.eventsJsonl(), keyList(keys)) }
        } catch (r: Refused) {
            return "reload: error ${r.code} (${r.rule}): ${r.en}"
        }
        if (again.snapshot() != before) return "the reloaded engine's snapshot differs from the original's"
        engine = again
        return null
    }

    fun command(step: JsonObject, defaultId: String, mustAccept: Boolean): Pair<JsonElement, String?> {
        val expect: JsonElement = step.get("expect") ?: (if (mustAccept) JsonPrimitive("accepted") else return JsonNull.INSTANCE to "a step needs an expect")
        val env = JsonObject().apply {
            addProperty("command_id", step.get("id")?.asString ?: defaultId)
            add("actor", step.get("actor")); add("at", step.get("at"))
            add("command", expand(step.get("command"), issuer))
        }
        val before = engine.snapshot()
        val out = try {
            JsonParser.parseString(call { engine.applyJson(env.toString()) }).asJsonObject
        } catch (r: Refused) {
            val outcome = JsonObject().apply { add("rejected", errorJson(r)) }
            val rej = if (expect is JsonObject) expect.getAsJsonObject("rejected") else null
                ?: return outcome to "rejected ${r.code} (${r.rule}): ${r.en}"
            if (engine.snapshot() != before) return outcome to "a rejected command changed the state"
            return outcome to checkRejection(rej, r)
        }
        val events = out.getAsJsonArray("events").map { it.asJsonObject.getAsJsonObject("event") }
        val outcome = JsonObject().apply { add("accepted", JsonArray().also { a -> events.forEach { a.add(it) } }) }
        val kinds = events.map { it.get("type").asString }
        if (expect is JsonPrimitive && expect.asString == "accepted") return outcome to null
        val want = (expect as? JsonObject)?.getAsJsonObject("accepted") ?: return outcome to "accepted ($kinds) but expected $expect"
        want.get("replayed")?.let { if (it.asBoolean != out.get("replayed").asBoolean) return outcome to "replayed differs" }
        when (val w = want.get("events")) {
            null -> {}
            is JsonArray -> {
                val ok = w.size() == events.size && (0 until w.size()).all { i ->
                    val e = w[i]
                    if (e is JsonPrimitive) e.asString == kinds[i] else matches(e, events[i])
                }
                if (!ok) return outcome to "events $kinds do not match $w"
            }
            else -> if (!matches(w, outcome.get("accepted"))) return outcome to "events $kinds do not match $w"
        }
        return outcome to null
    }

    fun query(q: JsonObject): Pair<JsonElement, String?> {
        val env = JsonObject().apply {
            add("actor", q.get("actor")); add("at", q.get("at")); add("query", expand(q.get("query"), issuer))
            q.get("command_id")?.let { add("command_id", it) }
        }
        val answer = try {
            JsonParser.parseString(call { engine.queryJson(env.toString()) })
        } catch (r: Refused) {
            val outcome = JsonObject().apply { add("rejected", errorJson(r)) }
            val want = q.getAsJsonObject("expect_error") ?: return outcome to "error ${r.code} (${r.rule}): ${r.en}"
            return outcome to checkRejection(want, r)
        }
        val outcome = JsonObject().apply { add("answer", answer) }
        val want = q.get("expect") ?: return outcome to "expected an error, got $answer"
        return outcome to (if (matches(want, answer)) null else "expected $want, got $answer")
    }
}

fun runCase(dir: File, file: File): Pair<String, List<String>> {
    val case = JsonParser.parseString(file.readText()).asJsonObject
    val name = case.get("name")?.asString ?: file.name
    unknown(case, CASE_FIELDS)?.let { return name to listOf("case: $it") }
    val run = Run(case.getAsJsonObject("qr_keys") ?: JsonObject())
    val stem = file.name.removeSuffix(".json")
    val setup = mutableListOf<JsonObject>()
    case.getAsJsonArray("fixtures")?.forEach { fx ->
        val f = JsonParser.parseString(File(dir, "fixtures/${fx.asString}.json").readText()).asJsonObject
        f.getAsJsonArray("steps").forEach { setup.add(it.asJsonObject) }
    }
    case.getAsJsonArray("setup")?.forEach { setup.add(it.asJsonObject) }
    setup.forEachIndexed { i, s -> run.entry(s, "$stem-setup-$i", true)?.let { return name to listOf("setup: $it") } }
    val failures = mutableListOf<String>()
    case.getAsJsonArray("steps")?.forEachIndexed { i, s -> run.entry(s.asJsonObject, "$stem-$i", false)?.let { failures.add(it) } }
    case.getAsJsonArray("queries")?.forEachIndexed { i, q ->
        val o = q.asJsonObject
        if (!o.has("query")) failures.add("query $i: a query entry needs a query")
        else run.entry(o, "query $i", false)?.let { failures.add(it) }
    }
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
