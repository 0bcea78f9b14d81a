/* The conformance cases through the C API (docs/conformance.md): same files, same matching
 * rules, same output lines as the Rust and Python runners.
 *
 *   conformance [DIR]        (default tests/conformance)
 *
 * JSON is read with cJSON (Debian libcjson-dev); the engine is reached only through
 * tijdreg.h. Exit status 1 when a case fails. Run under valgrind in `make test`. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tijdreg.h"

#define FAILURE_MAX 4096

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

/* "12.50" -> "12.5", "33.00" -> "33", "-0" -> "0"; NULL when not a plain decimal. */
static int normalise_decimal(const char *s, char *out, size_t cap) {
    size_t i = 0, n = strlen(s);
    if (n == 0 || n + 1 > cap) return 0;
    if (s[0] == '-' || s[0] == '+') i = 1;
    int digits = 0, dot = 0;
    for (size_t j = i; j < n; j++) {
        if (isdigit((unsigned char)s[j])) digits++;
        else if (s[j] == '.' && !dot) dot = 1;
        else return 0;
    }
    if (!digits) return 0;
    const char *p = s + i;
    while (*p == '0' && p[1] && p[1] != '.') p++;
    snprintf(out, cap, "%s%s", s[0] == '-' ? "-" : "", p);
    if (dot) {
        size_t m = strlen(out);
        while (m > 0 && out[m - 1] == '0') out[--m] = '\0';
        if (m > 0 && out[m - 1] == '.') out[--m] = '\0';
    }
    if (strcmp(out, "-0") == 0 || strcmp(out, "-") == 0 || out[0] == '\0') snprintf(out, cap, "0");
    return 1;
}

static long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* RFC 3339 instant -> seconds since the epoch; 0 when not an instant. */
static int parse_instant(const char *s, long long *out) {
    int y, mo, d, h, mi, se, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19) return 0;
    const char *p = s + 19;
    if (*p == '.') { p++; while (isdigit((unsigned char)*p)) p++; }
    long long off = 0;
    if (*p == 'Z' && p[1] == '\0') {
        off = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2) return 0;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    } else {
        return 0;
    }
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
    return 1;
}

static void scalar_text(const cJSON *v, char *out, size_t cap) {
    if (cJSON_IsString(v)) snprintf(out, cap, "%s", v->valuestring);
    else if (cJSON_IsNumber(v)) snprintf(out, cap, "%.15g", v->valuedouble);
    else out[0] = '\0';
}

static int matches(const cJSON *want, const cJSON *got);

/* Pairs each expected element with a different actual one (backtracking; arrays are small). */
static int pair(const cJSON *want, int from, const cJSON *got, char *used) {
    if (from == cJSON_GetArraySize(want)) return 1;
    const cJSON *w = cJSON_GetArrayItem(want, from);
    for (int i = 0; i < cJSON_GetArraySize(got); i++) {
        if (!used[i] && matches(w, cJSON_GetArrayItem(got, i))) {
            used[i] = 1;
            if (pair(want, from + 1, got, used)) return 1;
            used[i] = 0;
        }
    }
    return 0;
}

/* As the Rust runner's `matches`: subset for objects (null matches absent), arrays by length
 * and position — or {"$unordered": [...]} in any order — numbers and decimal strings by
 * value, instants by moment. */
static int matches(const cJSON *want, const cJSON *got) {
    const cJSON *unordered = cJSON_IsObject(want) ? cJSON_GetObjectItemCaseSensitive(want, "$unordered") : NULL;
    if (unordered && cJSON_GetArraySize(want) == 1 && cJSON_IsArray(got)) {
        int n = cJSON_GetArraySize(got);
        if (!cJSON_IsArray(unordered) || cJSON_GetArraySize(unordered) != n) return 0;
        char *used = calloc((size_t)n + 1, 1);
        int ok = used && pair(unordered, 0, got, used);
        free(used);
        return ok;
    }
    if (cJSON_IsObject(want)) {
        if (!cJSON_IsObject(got)) return 0;
        const cJSON *w;
        cJSON_ArrayForEach(w, want) {
            const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, w->string);
            if (!g) { if (!cJSON_IsNull(w)) return 0; continue; }
            if (!matches(w, g)) return 0;
        }
        return 1;
    }
    if (cJSON_IsArray(want)) {
        if (!cJSON_IsArray(got) || cJSON_GetArraySize(want) != cJSON_GetArraySize(got)) return 0;
        for (int i = 0; i < cJSON_GetArraySize(want); i++)
            if (!matches(cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(got, i))) return 0;
        return 1;
    }
    if ((cJSON_IsString(want) || cJSON_IsNumber(want)) && (cJSON_IsString(got) || cJSON_IsNumber(got))) {
        char a[512], b[512], na[512], nb[512];
        scalar_text(want, a, sizeof a);
        scalar_text(got, b, sizeof b);
        if (strcmp(a, b) == 0) return 1;
        if (normalise_decimal(a, na, sizeof na) && normalise_decimal(b, nb, sizeof nb) && strcmp(na, nb) == 0) return 1;
        long long x, y;
        return parse_instant(a, &x) && parse_instant(b, &y) && x == y;
    }
    if (cJSON_IsBool(want)) return cJSON_IsBool(got) && (cJSON_IsTrue(want) == cJSON_IsTrue(got));
    if (cJSON_IsNull(want)) return cJSON_IsNull(got);
    return 0;
}

/* Replaces $qr:KEY:PROJECT:PERSON (and -altered, -truncated) by tokens from the ledger. */
static int expand(cJSON *v, TijdregLedger *l) {
    if (cJSON_IsString(v) && strncmp(v->valuestring, "$qr", 3) == 0) {
        char kind[32], key[128], project[128], person[128];
        if (sscanf(v->valuestring, "%31[^:]:%127[^:]:%127[^:]:%127s", kind, key, project, person) != 4) return 0;
        char *out = NULL;
        if (tijdreg_ledger_issue_qr_token(l, key, project, person, &out) != TIJDREG_OK) { tijdreg_string_free(out); return 0; }
        cJSON *tok = cJSON_Parse(out);
        tijdreg_string_free(out);
        if (!cJSON_IsString(tok)) { cJSON_Delete(tok); return 0; }
        char *t = strdup(tok->valuestring);
        cJSON_Delete(tok);
        size_t n = strlen(t);
        if (strcmp(kind, "$qr-truncated") == 0) t[n - 5] = '\0';
        else if (strcmp(kind, "$qr-altered") == 0) t[n - 10] = t[n - 10] == 'A' ? 'B' : 'A';
        else if (strcmp(kind, "$qr") != 0) { free(t); return 0; }
        cJSON_SetValuestring(v, t);
        free(t);
        return 1;
    }
    cJSON *c;
    cJSON_ArrayForEach(c, v) if (!expand(c, l)) return 0;
    return 1;
}

static char *snapshot(TijdregLedger *l) {
    char *out = NULL;
    tijdreg_ledger_snapshot(l, &out);
    return out;
}

static void fail(char *failures, const char *label, const char *fmt, const char *a, const char *b) {
    char line[2048];
    snprintf(line, sizeof line, fmt, a, b);
    size_t used = strlen(failures);
    snprintf(failures + used, FAILURE_MAX - used, "%s%s: %s", used ? " | " : "", label, line);
}

static int check_rejection(const cJSON *want, const char *error_json, char *failures, const char *label) {
    cJSON *err = cJSON_Parse(error_json);
    cJSON *w = cJSON_Duplicate(want, 1);
    cJSON *contains = cJSON_DetachItemFromObjectCaseSensitive(w, "message_contains");
    int ok = err && matches(w, err);
    if (!ok) {
        char *wanted = cJSON_PrintUnformatted(w);
        fail(failures, label, "expected rejection %s, got %s", wanted, error_json);
        free(wanted);
    }
    if (ok && contains) {
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(err, "message_en");
        const cJSON *nl = cJSON_GetObjectItemCaseSensitive(err, "message");
        if (!(strstr(en->valuestring, contains->valuestring) || strstr(nl->valuestring, contains->valuestring))) {
            fail(failures, label, "message does not contain %s%s", contains->valuestring, "");
            ok = 0;
        }
    }
    cJSON_Delete(contains);
    cJSON_Delete(w);
    cJSON_Delete(err);
    return ok;
}

/* A case being run: the ledger, an issuer holding every key the case named (so a token of
 * a retired key can still be written), the current keys (ids and secrets: a reloaded ledger
 * is given them again), and the outcomes of labelled entries (for same_as). */
#define MAX_LABELS 256
typedef struct {
    TijdregLedger *l;
    TijdregLedger *issuer;
    cJSON *keys;
    char *labels[MAX_LABELS];
    char *outcomes[MAX_LABELS];
    int n;
} Run;

static const char *CASE_FIELDS[] = {"name", "rules", "description", "fixtures", "qr_keys", "setup", "steps", "queries", NULL};
static const char *COMMAND_FIELDS[] = {"id", "label", "actor", "at", "command", "expect", "same_as", "must_not_contain", NULL};
static const char *QUERY_FIELDS[] = {"label", "actor", "at", "query", "command_id", "expect", "expect_error", "same_as", "must_not_contain", NULL};
static const char *KEYS_FIELDS[] = {"label", "qr_keys", NULL};
static const char *RELOAD_FIELDS[] = {"label", "reload", NULL};

/* The first field of `o` not in `known`, or NULL. */
static const char *unknown_field(const cJSON *o, const char **known) {
    const cJSON *f;
    cJSON_ArrayForEach(f, o) {
        int ok = 0;
        for (const char **k = known; *k; k++) if (strcmp(*k, f->string) == 0) ok = 1;
        if (!ok) return f->string;
    }
    return NULL;
}

static int add_key(TijdregLedger *l, const cJSON *key, char *failures) {
    char *out = NULL;
    int rc = tijdreg_ledger_add_qr_key(l, key->string, (const uint8_t *)key->valuestring, strlen(key->valuestring), &out);
    if (rc != TIJDREG_OK) fail(failures, "qr_keys", "%s%s", out, "");
    tijdreg_string_free(out);
    return rc == TIJDREG_OK;
}

/* Replaces the ledger's keys by `keys` (a rotation); the issuer keeps them all. */
static void set_keys(Run *r, const cJSON *keys, char *failures) {
    const cJSON *key;
    cJSON_ArrayForEach(key, r->keys) {
        char *out = NULL;
        tijdreg_ledger_remove_qr_key(r->l, key->string, &out);
        tijdreg_string_free(out);
    }
    cJSON_Delete(r->keys);
    r->keys = keys ? cJSON_Duplicate(keys, 1) : cJSON_CreateObject();
    cJSON_ArrayForEach(key, keys) {
        add_key(r->l, key, failures);
        add_key(r->issuer, key, failures);
    }
}

/* AUD-2: the ledger replaced by one made again from its own snapshot ("snapshot") or its own
 * event log ("log"), given the keys it holds now (a snapshot holds no secret); the new one
 * must give the same snapshot, to the last byte. */
static void reload(Run *r, const cJSON *source, const char *label, char *failures) {
    int from_log = cJSON_IsString(source) && strcmp(source->valuestring, "log") == 0;
    if (!from_log && !(cJSON_IsString(source) && strcmp(source->valuestring, "snapshot") == 0)) {
        fail(failures, label, "reload must be \"snapshot\" or \"log\"%s%s", "", "");
        return;
    }
    char *before = snapshot(r->l), *log = NULL, *out = NULL;
    if (from_log) tijdreg_ledger_events(r->l, &log);
    TijdregLedger *again = from_log ? tijdreg_ledger_replay(log, &out) : tijdreg_ledger_load(before, &out);
    if (!again) {
        fail(failures, label, "reload: %s%s", out, "");
    } else {
        const cJSON *key;
        cJSON_ArrayForEach(key, r->keys) add_key(again, key, failures);
        char *after = snapshot(again);
        if (strcmp(before, after) != 0) fail(failures, label, "the reloaded ledger's snapshot differs from the original's%s%s", "", "");
        tijdreg_string_free(after);
        tijdreg_ledger_free(r->l);
        r->l = again;
    }
    tijdreg_string_free(out);
    tijdreg_string_free(log);
    tijdreg_string_free(before);
}

static const char *outcome_of(Run *r, const char *label) {
    for (int i = 0; i < r->n; i++) if (strcmp(r->labels[i], label) == 0) return r->outcomes[i];
    return NULL;
}

static void remember(Run *r, const char *label, const char *outcome) {
    if (r->n < MAX_LABELS) {
        r->labels[r->n] = strdup(label);
        r->outcomes[r->n] = strdup(outcome);
        r->n++;
    }
}

/* `same_as` and `must_not_contain` on an entry's outcome (a JSON text). */
static void compare_outcome(Run *r, const cJSON *step, const char *label, const char *outcome, char *failures) {
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(step, "must_not_contain")) {
        if (cJSON_IsString(w) && strstr(outcome, w->valuestring)) fail(failures, label, "the outcome contains %s: %s", w->valuestring, outcome);
    }
    const cJSON *same = cJSON_GetObjectItemCaseSensitive(step, "same_as");
    if (cJSON_IsString(same)) {
        const char *other = outcome_of(r, same->valuestring);
        if (!other) fail(failures, label, "same_as names %s, which is no earlier label%s", same->valuestring, "");
        else if (strcmp(other, outcome) != 0) fail(failures, label, "expected the same outcome as %s, got %s", other, outcome);
    }
    remember(r, label, outcome);
}

/* {"rejected": <error>} or {"answer": <json>} or {"accepted": [events]}, as text. */
static char *wrap(const char *kind, cJSON *inner) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, kind, inner ? inner : cJSON_CreateNull());
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

static void run_command(Run *r, const cJSON *step, const char *label, const char *default_id, int must_accept, char *failures) {
    TijdregLedger *l = r->l;
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(step, "expect");
    if (!expect && !must_accept) { fail(failures, label, "a step needs an expect%s%s", "", ""); return; }
    cJSON *env = cJSON_CreateObject();
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(step, "id");
    cJSON_AddStringToObject(env, "command_id", cJSON_IsString(id) ? id->valuestring : default_id);
    cJSON_AddItemToObject(env, "actor", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(step, "actor"), 1));
    cJSON_AddItemToObject(env, "at", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(step, "at"), 1));
    cJSON *command = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(step, "command"), 1);
    if (!expand(command, r->issuer)) fail(failures, label, "bad $qr template%s%s", "", "");
    cJSON_AddItemToObject(env, "command", command);
    char *text = cJSON_PrintUnformatted(env);
    cJSON_Delete(env);
    char *before = snapshot(l);
    char *out = NULL;
    int rc = tijdreg_ledger_apply(l, text, &out);
    free(text);
    int accepted_expected = !expect || (cJSON_IsString(expect) && strcmp(expect->valuestring, "accepted") == 0) ||
                            cJSON_GetObjectItemCaseSensitive(expect, "accepted") != NULL;
    char *outcome = NULL;
    if (rc == TIJDREG_OK) {
        cJSON *got = cJSON_Parse(out);
        cJSON *events = cJSON_CreateArray();
        const cJSON *rec;
        cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(got, "events"))
            cJSON_AddItemToArray(events, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "event"), 1));
        if (!accepted_expected) {
            fail(failures, label, "accepted (%s) but a rejection was expected%s", out, "");
        } else if (expect && cJSON_IsObject(expect)) {
            const cJSON *want = cJSON_GetObjectItemCaseSensitive(expect, "accepted");
            const cJSON *replayed = cJSON_GetObjectItemCaseSensitive(want, "replayed");
            if (replayed && cJSON_IsTrue(replayed) != cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(got, "replayed")))
                fail(failures, label, "replayed differs from the expectation%s%s", "", "");
            const cJSON *wanted = cJSON_GetObjectItemCaseSensitive(want, "events");
            if (cJSON_IsArray(wanted)) {
                int ok = cJSON_GetArraySize(wanted) == cJSON_GetArraySize(events);
                for (int i = 0; ok && i < cJSON_GetArraySize(wanted); i++) {
                    const cJSON *e = cJSON_GetArrayItem(wanted, i);
                    const cJSON *g = cJSON_GetArrayItem(events, i);
                    if (cJSON_IsString(e)) ok = strcmp(cJSON_GetObjectItemCaseSensitive(g, "type")->valuestring, e->valuestring) == 0;
                    else ok = matches(e, g);
                }
                if (!ok) fail(failures, label, "events %s do not match%s", out, "");
            } else if (wanted && !matches(wanted, events)) {
                fail(failures, label, "events %s do not match%s", out, "");
            }
        }
        outcome = wrap("accepted", events);
        cJSON_Delete(got);
    } else {
        const cJSON *rejected = expect ? cJSON_GetObjectItemCaseSensitive(expect, "rejected") : NULL;
        if (!rejected) {
            fail(failures, label, "rejected: %s%s", out, "");
        } else {
            char *after = snapshot(l);
            if (strcmp(before, after) != 0) fail(failures, label, "a rejected command changed the state%s%s", "", "");
            tijdreg_string_free(after);
            check_rejection(rejected, out, failures, label);
        }
        outcome = wrap("rejected", cJSON_Parse(out));
    }
    compare_outcome(r, step, label, outcome, failures);
    free(outcome);
    tijdreg_string_free(out);
    tijdreg_string_free(before);
}

static void run_query(Run *r, const cJSON *q, const char *label, char *failures) {
    cJSON *env = cJSON_CreateObject();
    cJSON_AddItemToObject(env, "actor", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(q, "actor"), 1));
    cJSON_AddItemToObject(env, "at", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(q, "at"), 1));
    cJSON *query = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(q, "query"), 1);
    if (!expand(query, r->issuer)) fail(failures, label, "bad $qr template%s%s", "", "");
    cJSON_AddItemToObject(env, "query", query);
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(q, "command_id");
    if (cid) cJSON_AddItemToObject(env, "command_id", cJSON_Duplicate(cid, 1));
    char *text = cJSON_PrintUnformatted(env);
    cJSON_Delete(env);
    char *out = NULL;
    int rc = tijdreg_ledger_query(r->l, text, &out);
    free(text);
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(q, "expect");
    const cJSON *expect_error = cJSON_GetObjectItemCaseSensitive(q, "expect_error");
    char *outcome = NULL;
    if (rc == TIJDREG_OK) {
        cJSON *got = cJSON_Parse(out);
        if (!expect) fail(failures, label, "expected an error, got %s%s", out, "");
        else if (!matches(expect, got)) fail(failures, label, "unexpected answer %s%s", out, "");
        outcome = wrap("answer", got);
    } else {
        if (expect_error) check_rejection(expect_error, out, failures, label);
        else fail(failures, label, "error %s%s", out, "");
        outcome = wrap("rejected", cJSON_Parse(out));
    }
    compare_outcome(r, q, label, outcome, failures);
    free(outcome);
    tijdreg_string_free(out);
}

/* One entry of setup, steps or queries: a command, a query, a key rotation or a reload. */
static void run_entry(Run *r, const cJSON *step, const char *default_id, int must_accept, char *failures) {
    const cJSON *label_j = cJSON_GetObjectItemCaseSensitive(step, "label");
    const char *label = cJSON_IsString(label_j) ? label_j->valuestring : default_id;
    int has_command = cJSON_HasObjectItem(step, "command"), has_query = cJSON_HasObjectItem(step, "query");
    const char *bad;
    if (cJSON_HasObjectItem(step, "reload") && !has_command && !has_query) {
        if ((bad = unknown_field(step, RELOAD_FIELDS))) { fail(failures, label, "unknown field %s%s", bad, ""); return; }
        reload(r, cJSON_GetObjectItemCaseSensitive(step, "reload"), label, failures);
        return;
    }
    if (cJSON_HasObjectItem(step, "qr_keys") && !has_command && !has_query) {
        if ((bad = unknown_field(step, KEYS_FIELDS))) { fail(failures, label, "unknown field %s%s", bad, ""); return; }
        set_keys(r, cJSON_GetObjectItemCaseSensitive(step, "qr_keys"), failures);
        return;
    }
    if (has_query) {
        if ((bad = unknown_field(step, QUERY_FIELDS))) { fail(failures, label, "unknown field %s%s", bad, ""); return; }
        run_query(r, step, label, failures);
    } else {
        if ((bad = unknown_field(step, COMMAND_FIELDS))) { fail(failures, label, "unknown field %s%s", bad, ""); return; }
        run_command(r, step, label, default_id, must_accept, failures);
    }
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int run_case(const char *dir, const char *file) {
    char path[4096], failures[FAILURE_MAX] = "";
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = read_file(path);
    cJSON *c = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!c) { printf("FAIL %s — %s: cannot read case\n", file, file); return 0; }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
    const char *bad = unknown_field(c, CASE_FIELDS);
    if (bad) fail(failures, "case", "unknown field %s%s", bad, "");
    Run r = {.l = tijdreg_ledger_new(), .issuer = tijdreg_ledger_new(), .keys = NULL, .n = 0};
    set_keys(&r, cJSON_GetObjectItemCaseSensitive(c, "qr_keys"), failures);
    char stem[512];
    snprintf(stem, sizeof stem, "%s", file);
    stem[strlen(stem) - 5] = '\0';
    char id[600];
    int n = 0;
    const cJSON *fx;
    cJSON_ArrayForEach(fx, cJSON_GetObjectItemCaseSensitive(c, "fixtures")) {
        snprintf(path, sizeof path, "%s/fixtures/%s.json", dir, fx->valuestring);
        char *ft = read_file(path);
        cJSON *f = ft ? cJSON_Parse(ft) : NULL;
        free(ft);
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(f, "steps")) {
            snprintf(id, sizeof id, "%s-setup-%d", stem, n++);
            run_entry(&r, s, id, 1, failures);
        }
        cJSON_Delete(f);
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "setup")) {
        snprintf(id, sizeof id, "%s-setup-%d", stem, n++);
        run_entry(&r, s, id, 1, failures);
    }
    n = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "steps")) {
        snprintf(id, sizeof id, "%s-%d", stem, n++);
        run_entry(&r, s, id, 0, failures);
    }
    n = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "queries")) {
        snprintf(id, sizeof id, "query %d", n++);
        if (!cJSON_HasObjectItem(s, "query")) fail(failures, id, "a query entry needs a query%s%s", "", "");
        else run_entry(&r, s, id, 0, failures);
    }
    const char *nm = cJSON_IsString(name) ? name->valuestring : file;
    if (failures[0]) printf("FAIL %s — %s: %s\n", file, nm, failures);
    else printf("ok   %s — %s\n", file, nm);
    for (int i = 0; i < r.n; i++) { free(r.labels[i]); free(r.outcomes[i]); }
    cJSON_Delete(r.keys);
    tijdreg_ledger_free(r.l);
    tijdreg_ledger_free(r.issuer);
    cJSON_Delete(c);
    return failures[0] == '\0';
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/conformance";
    DIR *d = opendir(dir);
    if (!d) { fprintf(stderr, "conformance: cannot open %s\n", dir); return 2; }
    char *names[1024];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < 1024) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], cmp);
    int passed = 0, failed = 0;
    for (int i = 0; i < count; i++) {
        if (run_case(dir, names[i])) passed++; else failed++;
        free(names[i]);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
