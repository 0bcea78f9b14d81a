/* The C API end to end: a small project through JSON commands, every status code,
 * queries, the report, records, snapshots, QR tokens, null arguments. Run under valgrind:
 * no leak, no invalid access. Prints "N passed, M failed". */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "tijdreg.h"

static int passed = 0, failed = 0;

static void check(int ok, const char *what, const char *detail) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s: %s\n", what, detail ? detail : "");
    }
}

/* Applies an envelope; checks the status and that the answer contains `needle`. */
static void apply(TijdregLedger *l, const char *env, int want, const char *needle, const char *what) {
    char *out = NULL;
    int rc = tijdreg_ledger_apply(l, env, &out);
    check(rc == want && out != NULL && (needle == NULL || strstr(out, needle) != NULL), what, out);
    tijdreg_string_free(out);
}

#define SYS(cmd) "{\"command_id\":\"" cmd "\",\"actor\":\"system\",\"at\":\"2026-01-05T08:00:00+01:00\",\"command\":"

/* Threads: eight threads register 40 people each on one shared handle (the header says a
 * handle may be used from several threads; calls are serialised inside). */
#define THREADS 8
#define PER_THREAD 40
struct worker { TijdregLedger *l; int id; int ok; };

static void *work(void *arg) {
    struct worker *w = arg;
    char env[512];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(env, sizeof env,
                 "{\"command_id\":\"t%d-%d\",\"actor\":\"system\",\"at\":\"2026-01-05T08:00:00+01:00\","
                 "\"command\":{\"type\":\"register_person\",\"person\":\"p-%d-%d\",\"name\":\"P %d %d\","
                 "\"email\":\"p%d.%d@example.be\"}}", w->id, i, w->id, i, w->id, i, w->id, i);
        char *out = NULL;
        if (tijdreg_ledger_apply(w->l, env, &out) == TIJDREG_OK) w->ok++;
        tijdreg_string_free(out);
    }
    return NULL;
}

static void threads(void) {
    TijdregLedger *l = tijdreg_ledger_new();
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){l, i, 0};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += w[i].ok;
    }
    char *out = NULL;
    int rc = tijdreg_ledger_query(l, "{\"actor\":\"system\",\"at\":\"2026-01-05T08:00:00+01:00\",\"query\":{\"type\":\"archive\"}}", &out);
    check(rc == TIJDREG_OK && ok == THREADS * PER_THREAD, "eight threads on one handle", out);
    tijdreg_string_free(out);
    char *snap = NULL;
    tijdreg_ledger_snapshot(l, &snap);
    /* Every event once, sequence numbers without gaps: the last one is 320. */
    check(snap != NULL && strstr(snap, "\"seq\":320") != NULL && strstr(snap, "\"seq\":321") == NULL,
          "every command recorded once", NULL);
    tijdreg_string_free(snap);
    tijdreg_ledger_free(l);
}

int main(void) {
    threads();
    check(strcmp(tijdreg_version(), "0.1.0") == 0, "version", tijdreg_version());
    TijdregLedger *l = tijdreg_ledger_new();
    char *out = NULL;
    const char *secret = "c-api-secret-0123456789";
    int rc = tijdreg_ledger_add_qr_key(l, "k1", (const uint8_t *)secret, strlen(secret), &out);
    check(rc == TIJDREG_OK, "add key", out);
    tijdreg_string_free(out);
    rc = tijdreg_ledger_add_qr_key(l, "k2", (const uint8_t *)"short", 5, &out);
    check(rc == TIJDREG_INVALID_INPUT && strstr(out, "16 bytes"), "short key refused", out);
    tijdreg_string_free(out);

    apply(l, SYS("c1") "{\"type\":\"create_organisation\",\"organisation\":\"vzw\",\"name\":\"vzw\"}}", TIJDREG_OK, "organisation_created", "organisation");
    apply(l, SYS("c2") "{\"type\":\"create_call\",\"call\":\"c\",\"name\":\"c\"}}", TIJDREG_OK, NULL, "call");
    apply(l, SYS("c3") "{\"type\":\"set_parameter\",\"call\":\"c\",\"valid_from\":\"2026-01-01\",\"parameter\":{\"name\":\"unit_cost_per_participant_hour\",\"value\":\"12.00\"}}}", TIJDREG_OK, NULL, "parameter");
    apply(l, SYS("c4") "{\"type\":\"register_person\",\"person\":\"p-o\",\"name\":\"O\",\"email\":\"o@x.be\",\"organisation\":\"vzw\"}}", TIJDREG_OK, NULL, "person o");
    apply(l, SYS("c5") "{\"type\":\"register_person\",\"person\":\"p-a\",\"name\":\"A\",\"email\":\"a@x.be\",\"insz\":\"85073003328\"}}", TIJDREG_OK, NULL, "person a");
    apply(l, SYS("c6") "{\"type\":\"register_person\",\"person\":\"p-x\",\"name\":\"X\",\"email\":\"x@x.be\",\"insz\":\"12345678901\"}}", TIJDREG_INVALID_INPUT, "\"rule\":\"ID-1\"", "invalid insz");
    apply(l, SYS("c7") "{\"type\":\"grant_role\",\"grant\":\"g\",\"person\":\"p-o\",\"role\":\"OrganisationResponsible\",\"organisation\":\"vzw\",\"valid_from\":\"2026-01-01\"}}", TIJDREG_OK, NULL, "grant");
    apply(l, SYS("c8") "{\"type\":\"create_project\",\"project\":\"P\",\"number\":\"1\",\"call\":\"c\",\"promoter\":\"vzw\"}}", TIJDREG_OK, NULL, "project");
    apply(l, SYS("c9") "{\"type\":\"add_training\",\"training\":\"T\",\"project\":\"P\",\"code\":\"T1\",\"name\":\"T\",\"kind\":\"Classroom\"}}", TIJDREG_OK, NULL, "training");
    apply(l, SYS("c1") "{\"type\":\"create_organisation\",\"organisation\":\"vzw\",\"name\":\"vzw\"}}", TIJDREG_OK, "\"replayed\":true", "retry is replayed");
    apply(l, SYS("c10") "{\"type\":\"create_organisation\",\"organisation\":\"vzw\",\"name\":\"vzw\"}}", TIJDREG_CONFLICT, "already_exists", "conflict");
    apply(l, SYS("c11") "{\"type\":\"revoke_grant\",\"grant\":\"nope\"}}", TIJDREG_NOT_FOUND, "unknown_reference", "not found");
    apply(l, "{\"command_id\":\"p1\",\"actor\":\"p-o\",\"at\":\"2026-02-20T10:00:00+01:00\",\"command\":{\"type\":\"plan_session\",\"session\":\"S\",\"training\":\"T\",\"date\":\"2026-03-02\",\"start\":\"09:00:00\",\"end\":\"12:00:00\",\"participants\":[\"p-a\"]}}",
          TIJDREG_OK, "qr_code_to_send", "plan");
    apply(l, "{\"command_id\":\"p2\",\"actor\":\"p-a\",\"at\":\"2026-03-02T08:40:00+01:00\",\"command\":{\"type\":\"start_session\",\"session\":\"S\"}}",
          TIJDREG_ACCESS_DENIED, "\"rule\":\"ACC-6\"", "access denied");
    apply(l, "{\"command_id\":\"p3\",\"actor\":\"p-o\",\"at\":\"2026-03-02T08:40:00+01:00\",\"command\":{\"type\":\"start_session\",\"session\":\"S\"}}",
          TIJDREG_OK, "session_started", "start");
    apply(l, "{\"command_id\":\"p4\",\"actor\":\"p-o\",\"at\":\"2026-03-02T08:29:00+01:00\",\"command\":{\"type\":\"check_in\",\"session\":\"S\",\"person\":\"p-a\"}}",
          TIJDREG_REJECTED, "08:30–12:00", "check-in window");

    char *token = NULL;
    rc = tijdreg_ledger_issue_qr_token(l, "k1", "P", "p-a", &token);
    check(rc == TIJDREG_OK && token[0] == '"', "token", token);
    char env[1024];
    snprintf(env, sizeof env, "{\"command_id\":\"p5\",\"actor\":\"p-o\",\"at\":\"2026-03-02T09:00:00+01:00\",\"command\":{\"type\":\"check_in\",\"session\":\"S\",\"token\":%s}}", token);
    tijdreg_string_free(token);
    apply(l, env, TIJDREG_OK, "\"method\":\"scan\"", "scan");
    apply(l, "{\"command_id\":\"p6\",\"actor\":\"p-o\",\"at\":\"2026-03-02T12:10:00+01:00\",\"command\":{\"type\":\"close_session\",\"session\":\"S\"}}",
          TIJDREG_OK, "closed_by_trainer", "close");
    apply(l, "not json", TIJDREG_INVALID_INPUT, "invalid_input", "bad json");

    rc = tijdreg_ledger_preview(l, "{\"command_id\":\"p7\",\"actor\":\"p-o\",\"at\":\"2026-03-02T12:20:00+01:00\",\"command\":{\"type\":\"submit_session\",\"session\":\"S\"}}", &out);
    check(rc == TIJDREG_OK && strstr(out, "session_submitted"), "preview", out);
    tijdreg_string_free(out);

    rc = tijdreg_ledger_query(l, "{\"actor\":\"p-o\",\"at\":\"2026-03-03T09:00:00+01:00\",\"query\":{\"type\":\"archive\",\"filter\":{\"status\":\"Executed\"}}}", &out);
    check(rc == TIJDREG_OK && strstr(out, "\"session\":\"S\""), "archive", out);
    tijdreg_string_free(out);

    rc = tijdreg_ledger_report(l, "p-o", "2026-03-10T12:00:00+01:00", "P", &out);
    check(rc == TIJDREG_OK && strstr(out, "\"total\":\"36.00\"") && strstr(out, "\"engine_version\":\"0.1.0\""), "report 180 min x 12.00", out);
    tijdreg_string_free(out);

    rc = tijdreg_report_from_records("{\"project\":\"P\",\"params\":{\"unit_cost_per_participant_hour\":{\"2026-01-01\":{\"name\":\"unit_cost_per_participant_hour\",\"value\":\"10\"}}},"
                                     "\"sessions\":[{\"id\":\"S\",\"training\":\"T\",\"date\":\"2026-03-02\",\"start\":\"09:00:00\",\"end\":\"10:00:00\",\"status\":\"Executed\","
                                     "\"participants\":[{\"person\":\"p\",\"intervals\":[{\"check_in\":\"2026-03-02T08:00:00Z\",\"check_out\":\"2026-03-02T09:00:00Z\"}]}]}]}",
                                     "2026-03-10T12:00:00Z", &out);
    check(rc == TIJDREG_OK && strstr(out, "\"total\":\"10.00\""), "records report", out);
    tijdreg_string_free(out);

    char *snap = NULL;
    rc = tijdreg_ledger_snapshot(l, &snap);
    check(rc == TIJDREG_OK && strstr(snap, "\"schema_version\":2") && !strstr(snap, "xxx"), "snapshot", NULL);
    TijdregLedger *l2 = tijdreg_ledger_load(snap, &out);
    check(l2 != NULL, "load", out);
    tijdreg_string_free(out);
    char *snap2 = NULL;
    rc = tijdreg_ledger_snapshot(l2, &snap2);
    check(rc == TIJDREG_OK && strcmp(snap, snap2) == 0, "snapshot round trip", NULL);
    tijdreg_string_free(snap);
    tijdreg_string_free(snap2);
    tijdreg_ledger_free(l2);

    char *log = NULL;
    rc = tijdreg_ledger_events(l, &log);
    check(rc == TIJDREG_OK && strstr(log, "\"hash\":\""), "event log", NULL);
    TijdregLedger *l3 = tijdreg_ledger_replay(log, &out);
    check(l3 != NULL, "replay", out);
    tijdreg_string_free(out);
    rc = tijdreg_ledger_snapshot(l, &snap);
    rc |= tijdreg_ledger_snapshot(l3, &snap2);
    check(rc == TIJDREG_OK && strcmp(snap, snap2) == 0, "replay gives the same snapshot", NULL);
    tijdreg_string_free(snap);
    tijdreg_string_free(snap2);
    tijdreg_ledger_free(l3);
    /* A digit of the first line's hash changed: the chain breaks, the log is refused by
     * name, no handle. */
    char *end = strchr(log, '\n');
    if (end) end[-5] = end[-5] == '0' ? '1' : '0';
    TijdregLedger *damaged = tijdreg_ledger_replay(log, &out);
    check(damaged == NULL && out && strstr(out, "damaged_log") && strstr(out, "AUD-2"), "replay refuses a damaged log", out);
    tijdreg_string_free(out);
    tijdreg_string_free(log);
    damaged = tijdreg_ledger_replay(NULL, &out);
    check(damaged == NULL && strstr(out, "log is null"), "replay of null", out);
    tijdreg_string_free(out);

    TijdregLedger *bad = tijdreg_ledger_load("{\"schema_version\":7}", &out);
    check(bad == NULL && strstr(out, "unsupported_schema_version"), "load refuses other versions", out);
    tijdreg_string_free(out);

    rc = tijdreg_ledger_apply(NULL, "{}", &out);
    check(rc == TIJDREG_INVALID_INPUT && strstr(out, "ledger is null"), "null ledger", out);
    tijdreg_string_free(out);
    rc = tijdreg_ledger_apply(l, NULL, &out);
    check(rc == TIJDREG_INVALID_INPUT, "null envelope", out);
    tijdreg_string_free(out);
    rc = tijdreg_ledger_apply(l, "{}", NULL);
    check(rc == TIJDREG_INVALID_INPUT, "null out is allowed", NULL);
    tijdreg_string_free(NULL);
    tijdreg_ledger_free(NULL);

    tijdreg_ledger_free(l);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
