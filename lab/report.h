/*
 * report: what programs print about a ledger and a run, as text or JSON.
 *
 * Contract: reads the ledger like any observer (no locks), checks every
 * index and state it prints, and writes to the stream it is given; it
 * decides wording, never exit codes.
 */
#ifndef LAB_REPORT_H
#define LAB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "bank.h"
#include "ledger.h"
#include "run.h"

/* `banklab show`: header, variant, balances, books, processes. */
void report_show(FILE *f, const struct ledger *l);

/* Conservation and lost updates in a few lines. */
void report_check(FILE *f, const struct bank_check *c);

/* A finished run: per worker, then the ledger's check. */
void report_run(FILE *f, const struct run_config *c,
    const struct run_result *r);

/* The same as one JSON object (malloc'd string, NULL on ENOMEM). */
char *report_run_json(const struct ledger *l, const struct run_config *c,
    const struct run_result *r);

/* One line on a slot's half-done operation into buf ("" if none). */
const char *report_journal(const struct ledger *l, int slot, char *buf,
    size_t len);

struct json_object;

/* Add key k with the value v to the JSON object o. */
void report_json_int(struct json_object *o, const char *k, int64_t v);
void report_json_str(struct json_object *o, const char *k, const char *v);
void report_json_bool(struct json_object *o, const char *k, bool v);
void report_json_double(struct json_object *o, const char *k, double v);

/* o as one line of JSON (malloc'd, NULL on ENOMEM); o is put. */
char *report_json_finish(struct json_object *o);

/* o as one line of JSON on f; o is put.  0, or -ENOMEM. */
int report_json_print(FILE *f, struct json_object *o);

/* Format cents as "12.34" (sign kept) into buf. */
const char *report_money(int64_t cents, char *buf, size_t len);

#endif
