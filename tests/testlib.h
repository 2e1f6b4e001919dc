/*
 * testlib: the fixtures and helpers the Check programs share.
 *
 * Contract: linked only into Check programs.  Ledger names are unique,
 * "t<runner>-<pid>-<n>": tl_names_setup(), run as an unchecked fixture in
 * the runner process, records the runner; tl_names_sweep() then unlinks
 * whatever a test case left under that prefix, even after a failure.
 * Helpers that assert use ck_assert_* and must run in the test's own
 * process; a child a helper forks reports by its exit status only.
 */
#ifndef TESTS_TESTLIB_H
#define TESTS_TESTLIB_H

#include <check.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "lab.h"
#include "ledger.h"

/* Output of a test process is lost if it is not flushed before a failure. */
#define tl_note(...) \
	do { \
		printf(__VA_ARGS__); \
		fflush(stdout); \
	} while (0)

/* A library return code; a failure names both codes in words. */
#define tl_assert_lab_eq(r, want) \
	ck_assert_msg((r) == (want), "%s: got %d (%s), want %d (%s)", #r, \
	    (r), lab_strerror(r), (want), lab_strerror(want))

/* Unchecked fixture: remember the runner, whose pid starts every name. */
void tl_names_setup(void);

/* Unchecked fixture: unlink every segment (or link) under that prefix. */
void tl_names_sweep(void);

/* A fresh unique ledger name in buf. */
void tl_name(char *buf, size_t len);

/* A test case in s with the name fixtures and a timeout in seconds. */
TCase *tl_tcase(Suite *s, const char *name, double timeout);

/* Run s, free it; the exit status for main(). */
int tl_run(Suite *s);

/* Typed loads: a failed assertion then prints tl_ld_i64(&...), not the
 * expansion of the atomic_load() macro. */
int64_t tl_ld_i64(_Atomic int64_t *p);
uint64_t tl_ld_u64(_Atomic uint64_t *p);
int32_t tl_ld_i32(_Atomic int32_t *p);
uint32_t tl_ld_u32(_Atomic uint32_t *p);

/* Create ledger name (n accounts, each at balance, variant k); asserts. */
void tl_ledger_create(const char *name, uint32_t n, int64_t balance,
    enum sync_kind k, struct ledger *l);

/* The same under a fresh name, written to name; l->sync is k's. */
void tl_ledger_new(char *name, size_t len, uint32_t n, int64_t balance,
    enum sync_kind k, struct ledger *l);

/* The slot a live or dead process pid holds in l, or -1. */
int tl_slot_of_pid(const struct ledger *l, pid_t pid);

/* Reap pid (through EINTR); its wait status, or -1. */
int tl_wait_exit(pid_t pid);

/* A wait status as a shell shows it: the exit code, or 128 + signal. */
int tl_exit_code(int status);

/* Newlines in s: a message must be one line. */
int tl_count_lines(const char *s);

/* Sleep ms milliseconds, through EINTR. */
void tl_sleep_ms(unsigned ms);

/*
 * fflush(NULL) and check_fork().  The child attaches to name and joins
 * with variant k into *l (it leaves with _exit(2) if either fails), then
 * gets 0; the parent gets the child's pid.
 */
pid_t tl_fork_joined(const char *name, enum sync_kind k, struct ledger *l);

/*
 * Fork a child that attaches to name, joins with variant k, and dies by
 * SIGKILL right after the debit of a transfer from -> to of amount,
 * holding its locks.  Returns its pid once it is dead and reaped.
 */
pid_t tl_kill_mid_transfer(const char *name, enum sync_kind k,
    uint32_t from, uint32_t to, int64_t amount);

#endif
