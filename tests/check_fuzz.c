/*
 * check_fuzz: the fuzz targets (tests/fuzz/) on their seeds and on
 * mutations of them, with any compiler; in a fuzz build, the libFuzzer
 * binaries for a few seconds each.
 *
 *   seeds      every file of tests/fuzz/corpus/TARGET/ (found through
 *              $BANKLAB_SRCDIR): ok-* must be accepted, bad-* refused,
 *              and none may crash or break a target's checks
 *   mutations  CHECK_FUZZ_ITERS (3000) inputs per target made from the
 *              seeds by bit flips, byte sets, truncation and splicing,
 *              from lab_rand() seeded with CHECK_FUZZ_SEED (1, printed).
 *              A crash kills the test; CHECK_FUZZ_SAVE=FILE writes each
 *              input there first, so the file then holds the culprit
 *   libfuzzer  (--enable-fuzz) each tests/fuzz/fuzz-TARGET runs
 *              CHECK_FUZZ_SECONDS (10) from its seeds in a work directory
 *              of the build tree, and must exit 0
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "tests/fuzz/fuzz.h"

#define SEEDS_MAX	64
#define SEED_SIZE_MAX	(1 << 20)

struct target {
	const char *name;
	int (*fn)(const uint8_t *, size_t);
};

static const struct target targets[] = {
	{ "sched", fuzz_sched },
	{ "ledger", fuzz_ledger },
	{ "options", fuzz_options },
	{ "api", fuzz_api },
};
#define NTARGETS	((int)(sizeof(targets) / sizeof(targets[0])))

struct seed {
	char name[256];
	uint8_t *data;
	size_t size;
};

struct corpus {
	struct seed seed[SEEDS_MAX];
	int n;
};

/* $name as a number, dflt if unset; junk ends the program (no test yet). */
static unsigned long
env_ulong(const char *name, unsigned long dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return dflt;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || !(*s >= '0' && *s <= '9')) {
		fprintf(stderr, "check_fuzz: %s: \"%s\" is not a number\n",
		    name, s);
		exit(EXIT_FAILURE);
	}
	return v;
}

static void
corpus_dir(const char *target, char *path, size_t len)
{
	const char *src = getenv("BANKLAB_SRCDIR");

	ck_assert_msg(src != NULL, "BANKLAB_SRCDIR is not set (make check "
	    "sets it)");
	snprintf(path, len, "%s/tests/fuzz/corpus/%s", src, target);
}

static int
seed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seed *)a)->name,
	    ((const struct seed *)b)->name);
}

/* Every regular file of the target's corpus, sorted by name. */
static void
corpus_load(const char *target, struct corpus *c)
{
	char dir[4096], path[4400];
	struct dirent *de;
	struct stat st;
	size_t got;
	DIR *d;
	FILE *f;

	memset(c, 0, sizeof(*c));
	corpus_dir(target, dir, sizeof(dir));
	d = opendir(dir);
	ck_assert_msg(d != NULL, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct seed *s = &c->seed[c->n];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_int_eq(stat(path, &st), 0);
		if (!S_ISREG(st.st_mode))
			continue;
		ck_assert_msg(c->n < SEEDS_MAX, "%s: more than %d seeds", dir,
		    SEEDS_MAX);
		ck_assert_msg(st.st_size <= SEED_SIZE_MAX, "%s: over %d bytes",
		    path, SEED_SIZE_MAX);
		snprintf(s->name, sizeof(s->name), "%s", de->d_name);
		s->size = (size_t)st.st_size;
		s->data = malloc(s->size + 1);
		ck_assert_ptr_nonnull(s->data);
		f = fopen(path, "rb");
		ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
		got = fread(s->data, 1, s->size, f);
		fclose(f);
		ck_assert_uint_eq(got, s->size);
		c->n++;
	}
	closedir(d);
	qsort(c->seed, (size_t)c->n, sizeof(c->seed[0]), seed_cmp);
}

static void
corpus_free(struct corpus *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->seed[i].data);
	c->n = 0;
}

/* ------------------------------------------------------------ seeds */

START_TEST(seeds)
{
	const struct target *t = &targets[_i];
	struct corpus c;
	int verdict[SEEDS_MAX];
	int i, j, r, ok = 0, bad = 0;

	corpus_load(t->name, &c);
	for (i = 0; i < c.n; i++) {
		const struct seed *s = &c.seed[i];

		r = verdict[i] = t->fn(s->data, s->size);
		if (strncmp(s->name, "ok-", 3) == 0) {
			ck_assert_msg(r == 0, "%s/%s: refused (%s), but an ok- "
			    "seed must be accepted", t->name, s->name,
			    lab_strerror(r));
			ok++;
		} else if (strncmp(s->name, "bad-", 4) == 0) {
			ck_assert_msg(r < 0, "%s/%s: accepted, but a bad- "
			    "seed must be refused", t->name, s->name);
			bad++;
		}
	}
	/*
	 * A verdict must not depend on the input before it (a parser that
	 * keeps state, like getopt's, between calls): each seed again, right
	 * after each seed.
	 */
	for (i = 0; i < c.n; i++)
		for (j = 0; j < c.n; j++) {
			const struct seed *s = &c.seed[i], *before = &c.seed[j];

			(void)t->fn(before->data, before->size);
			r = t->fn(s->data, s->size);
			ck_assert_msg((r == 0) == (verdict[i] == 0), "%s/%s: %s "
			    "after %s, %s alone", t->name, s->name,
			    r == 0 ? "accepted" : "refused", before->name,
			    verdict[i] == 0 ? "accepted" : "refused");
		}
	printf("fuzz-%s: %d seeds replayed (%d ok-, %d bad-), and each after "
	    "each\n", t->name, c.n, ok, bad);
	ck_assert_msg(ok >= 1 && bad >= 1, "%s: the corpus needs ok- and "
	    "bad- seeds (found %d and %d)", t->name, ok, bad);
	corpus_free(&c);
}
END_TEST

/* ------------------------------------------------------------ mutations */

/* Bytes that mean something to one parser or another. */
static const uint8_t interesting[] = {
	0, 0xff, 0x7f, 0x80, '\n', ' ', '\t', '#', ';', ':', '-', '0', '1',
	'9', 'p', 'a',
};

/*
 * Where to mutate: half the time within the first 512 bytes, where the
 * headers and the first tokens are (the ledger seed is mostly slots).
 */
static size_t
mutation_at(uint64_t *rng, size_t size)
{
	size_t span = size;

	if (lab_rand(rng) % 2 == 0 && span > 512)
		span = 512;
	return (size_t)(lab_rand(rng) % span);
}

/* A mutant of seed a (and maybe b) into buf (cap bytes); its size. */
static size_t
mutate(uint64_t *rng, const struct seed *a, const struct seed *b,
    uint8_t *buf, size_t cap)
{
	size_t n = a->size < cap ? a->size : cap, at, k, rounds, j;

	memcpy(buf, a->data, n);
	rounds = 1 + lab_rand(rng) % 4;
	for (j = 0; j < rounds; j++) {
		switch (lab_rand(rng) % 4) {
		case 0:		/* flip a bit */
			if (n > 0) {
				at = mutation_at(rng, n);
				buf[at] ^= (uint8_t)(1u << lab_rand(rng) % 8);
			}
			break;
		case 1:		/* set a byte */
			if (n > 0) {
				at = mutation_at(rng, n);
				buf[at] = lab_rand(rng) % 2 ? (uint8_t)
				    lab_rand(rng) : interesting[lab_rand(rng) %
				    sizeof(interesting)];
			}
			break;
		case 2:		/* truncate */
			if (n > 0)
				n = (size_t)(lab_rand(rng) % n);
			break;
		default:	/* splice: our head, b's tail */
			if (b->size > 0) {
				at = n > 0 ? mutation_at(rng, n) : 0;
				k = (size_t)(lab_rand(rng) % b->size);
				if (b->size - k > cap - at)
					k = b->size - (cap - at);
				memcpy(buf + at, b->data + k, b->size - k);
				n = at + b->size - k;
			}
			break;
		}
	}
	return n;
}

static void
save_input(const char *path, const uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(mutations)
{
	const struct target *t = &targets[_i];
	const char *save = getenv("CHECK_FUZZ_SAVE");
	unsigned long iters = env_ulong("CHECK_FUZZ_ITERS", 3000), i;
	uint64_t seed = env_ulong("CHECK_FUZZ_SEED", 1), rng = seed;
	unsigned long accepted = 0;
	struct corpus c;
	size_t cap = 0, n;
	uint8_t *buf;
	int k;

	printf("fuzz-%s: %lu mutants, seed %" PRIu64 " (CHECK_FUZZ_SEED=%"
	    PRIu64 " repeats them)\n", t->name, iters, seed, seed);
	fflush(stdout);
	corpus_load(t->name, &c);
	ck_assert_int_gt(c.n, 0);
	for (k = 0; k < c.n; k++)
		if (c.seed[k].size > cap)
			cap = c.seed[k].size;
	cap = cap * 2 + 64;	/* a splice may join two whole seeds */
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < iters; i++) {
		const struct seed *a = &c.seed[lab_rand(&rng) % (uint64_t)c.n];
		const struct seed *b = &c.seed[lab_rand(&rng) % (uint64_t)c.n];

		n = mutate(&rng, a, b, buf, cap);
		if (save != NULL)
			save_input(save, buf, n);
		if (t->fn(buf, n) == 0)
			accepted++;
	}
	printf("fuzz-%s: %lu mutants run, %lu accepted\n", t->name, iters,
	    accepted);
	free(buf);
	corpus_free(&c);
}
END_TEST

/* ------------------------------------------------------------ libfuzzer */

#ifdef FUZZ_BIN_DIR
/*
 * Run fuzz-TARGET for CHECK_FUZZ_SECONDS on a copy-free corpus: libFuzzer
 * writes new inputs only into its first directory (the work directory in
 * the build tree) and reads the seeds from the source tree's.
 */
START_TEST(libfuzzer)
{
	const struct target *t = &targets[_i];
	unsigned long secs = env_ulong("CHECK_FUZZ_SECONDS", 10);
	char bin[4096], work[4200], seed_dir[4096], arg_time[64], arg_art[4300],
	    log[4300], line[512], done[512], cmd[8800];
	unsigned long waited;
	int status, fd;
	pid_t pid, w;
	FILE *f;

	snprintf(bin, sizeof(bin), "%s/fuzz-%s", FUZZ_BIN_DIR, t->name);
	snprintf(work, sizeof(work), "%s/check-%s.work", FUZZ_BIN_DIR,
	    t->name);
	corpus_dir(t->name, seed_dir, sizeof(seed_dir));
	snprintf(arg_time, sizeof(arg_time), "-max_total_time=%lu", secs);
	snprintf(arg_art, sizeof(arg_art), "-artifact_prefix=%s/", work);
	snprintf(log, sizeof(log), "%s/log", work);
	ck_assert_msg(access(bin, X_OK) == 0, "%s: %s", bin, strerror(errno));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s/corpus'",
	    work, work);
	ck_assert_int_eq(system(cmd), 0);

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		snprintf(cmd, sizeof(cmd), "%s/corpus", work);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, arg_time, arg_art, "-timeout=10",
		    "-print_final_stats=1", cmd, seed_dir, (char *)NULL);
		_exit(127);
	}
	/* libFuzzer stops itself; a hang is caught here, not by Check. */
	for (waited = 0; (w = waitpid(pid, &status, WNOHANG)) == 0;
	    waited += 100) {
		if (waited > (secs + 60) * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("%s: still running after %lu s (log: %s)",
			    bin, secs + 60, log);
		}
		usleep(100000);
	}
	ck_assert_int_eq(w, pid);
	done[0] = '\0';
	if ((f = fopen(log, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "Done ", 5) == 0 ||
			    strstr(line, "ERROR:") != NULL)
				snprintf(done, sizeof(done), "%s", line);
		fclose(f);
	}
	printf("fuzz-%s: %s", t->name, done[0] ? done : "(no summary)\n");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: exit status %d: a finding, see %s and %s", bin, status, log,
	    work);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST
#endif

static Suite *
fuzz_suite(void)
{
	Suite *s = suite_create("fuzz");
	TCase *tc;

	tc = tcase_create("seeds");
	tcase_add_loop_test(tc, seeds, 0, NTARGETS);
	suite_add_tcase(s, tc);

	tc = tcase_create("mutations");
	/* A few seconds under ASan; generous for valgrind and slow CI. */
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, mutations, 0, NTARGETS);
	suite_add_tcase(s, tc);

#ifdef FUZZ_BIN_DIR
	tc = tcase_create("libfuzzer");
	tcase_set_timeout(tc, (double)(env_ulong("CHECK_FUZZ_SECONDS", 10) +
	    120));
	tcase_add_loop_test(tc, libfuzzer, 0, NTARGETS);
	suite_add_tcase(s, tc);
#endif
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	/* Read once here, so that junk fails before any test runs. */
	(void)env_ulong("CHECK_FUZZ_ITERS", 0);
	(void)env_ulong("CHECK_FUZZ_SEED", 0);
	sr = srunner_create(fuzz_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
