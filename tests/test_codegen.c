/* SPDX-License-Identifier: MIT */
/* cmio tests — the generator (codegen/generate.py and codegen/idl.py).
 *
 * Every directory tests/idl-bad/<case>/ is one bad-IDL test: its files replace (or join) the
 * files of a copy of idl/, and its file `expect` holds the `idl/<file>:<line>: <message>` start of
 * the error line the generator must print. The generator must then exit non-zero and write
 * nothing. The cases are prepared all at once and run by tests/generate_batch.py, which runs
 * generate.py's main() for each in one Python process (a process per case spent most of its time
 * starting Python and reading the IDL); test_bad_idl_keeps_existing_output runs one case through
 * the command itself. The other tests check determinism, that generated/ is up to date, that
 * unchanged files are not rewritten and stale ones are removed, the audit table, and that a bad
 * IDL leaves an existing output folder alone.
 *
 * Needs CMIO_ROOT (the repository) and CMIO_PYTHON (a Python 3 with Jinja2 and PyYAML), as
 * `make test` sets them. Each test works in its own temporary folder and runs the generator with
 * that folder as the working directory, so that the IDL's paths print as `idl/<file>`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define MAX_CASES 256
#define OUT_CAP 65536
#define CMD_CAP (3 * PATH_MAX)
/* The mtime given to generated files before a second run: a rewrite would change it. */
#define OLD_MTIME ((time_t)946684800) /* 2000-01-01 */
/* The fixture the "bad IDL over an existing output" test applies. */
#define LATE_ERROR_CASE "op_duplicate_mixin"

static const char *const USAGE = "run through `make test`, or set CMIO_ROOT=<repository> "
                                 "CMIO_PYTHON=$(codegen/find-python)";

typedef struct ctx {
    char tmp[PATH_MAX];   /* the test's temporary folder (the generator's working directory) */
    char out[OUT_CAP];    /* the last command's output */
    const char *root;     /* $CMIO_ROOT */
    const char *python;   /* $CMIO_PYTHON */
    const char *bad_case; /* for bad_idl tests: the fixture directory name */
} ctx;

/* ---- helpers -------------------------------------------------------------------------------- */

/* Fails the test clearly when the environment variable is missing. */
static const char *need_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        fail_msg("%s is not set: %s", name, USAGE);
    if (strchr(v, '\'') != NULL)
        fail_msg("%s contains a single quote, which these tests cannot quote: %s", name, v);
    return v;
}

static void vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, cap, fmt, ap);
    if (n < 0 || (size_t)n >= cap)
        fail_msg("command or path too long: %.200s...", buf);
}

static void format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(buf, cap, fmt, ap);
    va_end(ap);
}

static int exit_status(int ws)
{
    if (ws == -1)
        return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
}

/* Runs a shell command with stdout and stderr captured into c->out; returns its exit status. */
static int run(ctx *c, const char *fmt, ...)
{
    char cmd[CMD_CAP];
    va_list ap;
    va_start(ap, fmt);
    vformat(cmd, sizeof(cmd) - 8, fmt, ap);
    va_end(ap);
    strcat(cmd, " 2>&1");
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        fail_msg("popen(%s): %s", cmd, strerror(errno));
    size_t len = 0, n;
    while (len < OUT_CAP - 1 && (n = fread(c->out + len, 1, OUT_CAP - 1 - len, p)) > 0)
        len += n;
    c->out[len] = '\0';
    char sink[4096];
    while (fread(sink, 1, sizeof(sink), p) > 0) {
        /* the rest does not fit: drop it, but let the command finish */
    }
    return exit_status(pclose(p));
}

/* Runs codegen/generate.py with ARGS, from the folder CWD; output in c->out. */
static int generate(ctx *c, const char *cwd, const char *args)
{
    return run(c, "cd '%s' && '%s' '%s/codegen/generate.py' %s", cwd, c->python, c->root, args);
}

/* Runs generate.py on TMP/idl into TMP/<out>, from TMP. */
static int generate_into(ctx *c, const char *out)
{
    char args[CMD_CAP];
    format(args, sizeof(args), "--idl '%s/idl' --out '%s/%s'", c->tmp, c->tmp, out);
    return generate(c, c->tmp, args);
}

static void path(ctx *c, char *buf, const char *rel)
{
    format(buf, PATH_MAX, "%s/%s", c->tmp, rel);
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Number of entries in a folder; 0 when it does not exist. */
static int dir_entries(const char *p)
{
    DIR *d = opendir(p);
    if (d == NULL)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    if (f == NULL)
        fail_msg("cannot write %s: %s", p, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static void read_file(const char *p, char *buf, size_t cap)
{
    FILE *f = fopen(p, "r");
    if (f == NULL)
        fail_msg("cannot read %s: %s", p, strerror(errno));
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* True when a line of TEXT starts with PREFIX. */
static bool has_line_starting(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *l = text; l != NULL && *l != '\0'; l = strchr(l, '\n'), l = l ? l + 1 : l) {
        if (strncmp(l, prefix, n) == 0)
            return true;
    }
    return false;
}

/* Copies the repository's idl/ to DIR/idl. */
static void copy_idl_to(ctx *c, const char *dir)
{
    int rc = run(c, "cp -r '%s/idl' '%s/idl'", c->root, dir);
    if (rc != 0)
        fail_msg("copying idl/ failed (%d): %s", rc, c->out);
}

/* Copies the repository's idl/ to TMP/idl. */
static void copy_idl(ctx *c)
{
    copy_idl_to(c, c->tmp);
}

/* Copies every file of tests/idl-bad/<name>/ except `expect` into DIR/idl/; returns the count. */
static int apply_case_to(ctx *c, const char *name, const char *to)
{
    char dir[PATH_MAX];
    format(dir, sizeof(dir), "%s/tests/idl-bad/%s", c->root, name);
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s: %s", dir, strerror(errno));
    int copied = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "expect") == 0)
            continue;
        int rc = run(c, "cp '%s/%s' '%s/idl/'", dir, e->d_name, to);
        if (rc != 0) {
            closedir(d);
            fail_msg("copying %s/%s failed: %s", dir, e->d_name, c->out);
        }
        copied++;
    }
    closedir(d);
    return copied;
}

/* Copies every file of tests/idl-bad/<name>/ except `expect` into TMP/idl/; returns the count. */
static int apply_case(ctx *c, const char *name)
{
    return apply_case_to(c, name, c->tmp);
}

/* ---- mtimes (nftw has no user pointer: these globals are its state) ------------------------- */

static int walk_files;
static int walk_changed;
static const char *walk_skip; /* a file whose mtime is not checked */
static char walk_first_changed[PATH_MAX];

static int walk_age(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F)
        return 0;
    const struct timespec ts[2] = {{OLD_MTIME, 0}, {OLD_MTIME, 0}};
    walk_files++;
    return utimensat(AT_FDCWD, p, ts, 0);
}

static int walk_check(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type != FTW_F)
        return 0;
    walk_files++;
    if (walk_skip != NULL && strcmp(p, walk_skip) == 0)
        return 0;
    if (st->st_mtime != OLD_MTIME && walk_changed++ == 0)
        snprintf(walk_first_changed, sizeof(walk_first_changed), "%s", p);
    return 0;
}

/* Sets the mtime of every file under DIR to OLD_MTIME; returns the file count. */
static int age_tree(const char *dir)
{
    walk_files = 0;
    if (nftw(dir, walk_age, 16, FTW_PHYS) != 0)
        fail_msg("setting mtimes under %s: %s", dir, strerror(errno));
    return walk_files;
}

/* Returns how many files under DIR, SKIP aside, have an mtime other than OLD_MTIME. */
static int changed_files(const char *dir, const char *skip)
{
    walk_files = walk_changed = 0;
    walk_skip = skip;
    walk_first_changed[0] = '\0';
    if (nftw(dir, walk_check, 16, FTW_PHYS) != 0)
        fail_msg("reading mtimes under %s: %s", dir, strerror(errno));
    return walk_changed;
}

static time_t mtime_of(const char *p)
{
    struct stat st;
    if (stat(p, &st) != 0)
        fail_msg("stat %s: %s", p, strerror(errno));
    return st.st_mtime;
}

/* ---- fixtures ------------------------------------------------------------------------------- */

static int setup(void **state)
{
    const char *root = need_env("CMIO_ROOT");
    const char *python = need_env("CMIO_PYTHON");
    ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->bad_case = *state; /* the test's initial_state */
    *state = c;
    c->root = root;
    c->python = python;
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    format(tmpl, sizeof(tmpl), "%s/cmio-codegen-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(tmpl) == NULL)
        fail_msg("mkdtemp(%s): %s", tmpl, strerror(errno));
    /* The real path, so that the generator's relative paths (from getcwd()) are idl/<file>. */
    if (realpath(tmpl, c->tmp) == NULL)
        fail_msg("realpath(%s): %s", tmpl, strerror(errno));
    assert_null(strchr(c->tmp, '\''));
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;
    if (c != NULL && c->tmp[0] == '/') {
        char cmd[CMD_CAP];
        format(cmd, sizeof(cmd), "rm -rf '%s'", c->tmp);
        if (system(cmd) != 0)
            print_error("could not remove %s\n", c->tmp);
    }
    free(c);
    return 0;
}

/* ---- bad IDL: one test per tests/idl-bad/<case> --------------------------------------------- */

static char case_names[MAX_CASES][NAME_MAX + 1];
static int n_cases = -1; /* -1: tests/idl-bad could not be read */

/* The batch: BATCH/<case>/idl for every case, run by tests/generate_batch.py, which leaves
 * BATCH/<case>/output and BATCH/<case>/status. Prepared and run by the first bad_idl test. */
static char batch_dir[PATH_MAX];
static bool case_empty[MAX_CASES]; /* the case folder has no IDL file besides `expect` */
static enum { BATCH_NOT_RUN, BATCH_FAILED, BATCH_DONE } batch_state;

static void run_batch(ctx *c)
{
    batch_state = BATCH_FAILED; /* until it is done: a failure below ends this test */
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX], dir[PATH_MAX];
    format(tmpl, sizeof(tmpl), "%s/cmio-codegen-batch-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(tmpl) == NULL)
        fail_msg("mkdtemp(%s): %s", tmpl, strerror(errno));
    if (realpath(tmpl, batch_dir) == NULL)
        fail_msg("realpath(%s): %s", tmpl, strerror(errno));
    assert_null(strchr(batch_dir, '\''));
    for (int i = 0; i < n_cases; i++) {
        format(dir, sizeof(dir), "%s/%s", batch_dir, case_names[i]);
        if (mkdir(dir, 0755) != 0)
            fail_msg("mkdir %s: %s", dir, strerror(errno));
        copy_idl_to(c, dir);
        case_empty[i] = apply_case_to(c, case_names[i], dir) == 0;
    }
    int rc = run(c, "cd '%s' && '%s' '%s/tests/generate_batch.py' '%s'", batch_dir, c->python,
                 c->root, batch_dir);
    if (rc != 0)
        fail_msg("tests/generate_batch.py failed (%d):\n%s", rc, c->out);
    batch_state = BATCH_DONE;
}

static void remove_batch(void)
{
    if (batch_dir[0] == '/') {
        char cmd[CMD_CAP];
        format(cmd, sizeof(cmd), "rm -rf '%s'", batch_dir);
        if (system(cmd) != 0)
            print_error("could not remove %s\n", batch_dir);
        batch_dir[0] = '\0';
    }
}

static void test_bad_idl(void **state)
{
    ctx *c = *state;
    char p[PATH_MAX], expect[4096], status[64];
    format(p, sizeof(p), "%s/tests/idl-bad/%s/expect", c->root, c->bad_case);
    read_file(p, expect, sizeof(expect));
    expect[strcspn(expect, "\n")] = '\0';
    if (strncmp(expect, "idl/", 4) != 0 || strstr(expect, ".yaml:") == NULL)
        fail_msg("%s must hold `idl/<file>:<line>: <message>`, not '%s'", p, expect);

    if (batch_state == BATCH_NOT_RUN)
        run_batch(c);
    if (batch_state != BATCH_DONE)
        fail_msg("the batch of bad-IDL cases failed: see the first bad_idl test");
    for (int i = 0; i < n_cases; i++) {
        if (strcmp(case_names[i], c->bad_case) == 0 && case_empty[i])
            fail_msg("tests/idl-bad/%s holds no IDL file besides `expect`", c->bad_case);
    }
    format(p, sizeof(p), "%s/%s/status", batch_dir, c->bad_case);
    read_file(p, status, sizeof(status));
    char *end;
    long rc = strtol(status, &end, 10);
    if (end == status || *end != '\n')
        fail_msg("%s holds no exit status: '%s'", p, status);
    format(p, sizeof(p), "%s/%s/output", batch_dir, c->bad_case);
    read_file(p, c->out, sizeof(c->out));

    if (rc == 0)
        fail_msg("generate.py accepted the bad IDL of %s:\n%s", c->bad_case, c->out);
    if (!has_line_starting(c->out, expect))
        fail_msg("expected a line starting with\n  %s\ngot (exit %ld):\n%s", expect, rc, c->out);
    assert_true(has_line_starting(c->out, "generate: "));
    format(p, sizeof(p), "%s/%s/out", batch_dir, c->bad_case);
    if (dir_entries(p) != 0)
        fail_msg("generate.py wrote into %s despite the error", p);
}

/* ---- the good IDL --------------------------------------------------------------------------- */

/* Two runs (under different hash seeds) produce byte-identical trees. */
static void test_deterministic(void **state)
{
    ctx *c = *state;
    char args[CMD_CAP];
    copy_idl(c);
    format(args, sizeof(args), "--idl '%s/idl' --out '%s/out'", c->tmp, c->tmp);
    int rc = run(c, "cd '%s' && PYTHONHASHSEED=1 '%s' '%s/codegen/generate.py' %s", c->tmp,
                 c->python, c->root, args);
    if (rc != 0)
        fail_msg("generate.py failed on the good IDL (%d):\n%s", rc, c->out);
    format(args, sizeof(args), "--idl '%s/idl' --out '%s/out2'", c->tmp, c->tmp);
    rc = run(c, "cd '%s' && PYTHONHASHSEED=2 '%s' '%s/codegen/generate.py' %s", c->tmp, c->python,
             c->root, args);
    if (rc != 0)
        fail_msg("second run failed (%d):\n%s", rc, c->out);

    char p[PATH_MAX];
    path(c, p, "out/linux/src/tcp_stream.c");
    assert_true(exists(p));
    path(c, p, "out/api.json");
    assert_true(exists(p));
    run(c, "diff -r '%s/out' '%s/out2' | head -n 60", c->tmp, c->tmp);
    if (c->out[0] != '\0')
        fail_msg("two runs differ:\n%s", c->out);
}

/* What `make check-generated` checks: the committed generated/ is what idl/ gives now. */
static void test_committed_tree_is_current(void **state)
{
    ctx *c = *state;
    char args[CMD_CAP];
    format(args, sizeof(args), "--out '%s/out'", c->tmp);
    int rc = generate(c, c->root, args);
    if (rc != 0)
        fail_msg("generate.py failed on idl/ (%d):\n%s", rc, c->out);
    char p[PATH_MAX];
    path(c, p, "out");
    assert_true(dir_entries(p) > 0);
    run(c, "diff -ru '%s/generated' '%s/out' | head -n 80", c->root, c->tmp);
    if (c->out[0] != '\0')
        fail_msg("generated/ is stale (run `make generate`):\n%s", c->out);
}

/* A second run into the same folder rewrites nothing that did not change (mtimes stay), restores
 * a file edited by hand, and removes files and folders it does not generate. */
static void test_rerun_keeps_mtimes_and_cleans(void **state)
{
    ctx *c = *state;
    char out[PATH_MAX], edited[PATH_MAX], p[PATH_MAX];
    copy_idl(c);
    int rc = generate_into(c, "out");
    if (rc != 0)
        fail_msg("generate.py failed on the good IDL (%d):\n%s", rc, c->out);
    path(c, out, "out");
    path(c, edited, "out/linux/src/tcp_stream.c");
    write_file(edited, "/* edited by hand */\n");
    path(c, p, "out/stray.txt");
    write_file(p, "stale\n");
    path(c, p, "out/linux/src/sctp_socket.c");
    write_file(p, "/* a type that is gone */\n");
    path(c, p, "out/gone");
    assert_int_equal(mkdir(p, 0755), 0);
    path(c, p, "out/gone/cmio");
    assert_int_equal(mkdir(p, 0755), 0);
    path(c, p, "out/gone/cmio/old.h");
    write_file(p, "/* stale */\n");
    int files = age_tree(out);
    assert_true(files > 10);

    rc = generate_into(c, "out");
    if (rc != 0)
        fail_msg("second run failed (%d):\n%s", rc, c->out);
    static const char *const stale[] = {"out/stray.txt", "out/linux/src/sctp_socket.c", "out/gone"};
    for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
        path(c, p, stale[i]);
        if (exists(p))
            fail_msg("the stale %s was not removed", p);
    }
    /* The edited file was restored; no other file was rewritten. */
    if (mtime_of(edited) == OLD_MTIME)
        fail_msg("%s was edited but not rewritten", edited);
    int changed = changed_files(out, edited);
    if (changed != 0)
        fail_msg("%d unchanged files rewritten (first: %s)", changed, walk_first_changed);
    assert_int_equal(walk_files, files - 3); /* the 3 stray files are gone */

    /* And the result is a complete, correct tree. */
    rc = generate_into(c, "ref");
    if (rc != 0)
        fail_msg("reference run failed (%d):\n%s", rc, c->out);
    run(c, "diff -r '%s/ref' '%s/out' | head -n 60", c->tmp, c->tmp);
    if (c->out[0] != '\0')
        fail_msg("the rerun tree differs from a fresh one:\n%s", c->out);
}

/* Splits a Markdown table row into trimmed cells (in place); returns the cell count. */
static int table_cells(char *line, char **cells, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, "|", &save); tok != NULL && n < max;
         tok = strtok_r(NULL, "|", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\n'))
            tok[--len] = '\0';
        cells[n++] = tok;
    }
    return n;
}

/* Copies the line of TEXT that starts with PREFIX into BUF. */
static void find_line(const char *text, const char *prefix, char *buf, size_t cap)
{
    size_t n = strlen(prefix);
    for (const char *l = text; l != NULL && *l != '\0'; l = strchr(l, '\n'), l = l ? l + 1 : l) {
        if (strncmp(l, prefix, n) == 0) {
            size_t len = strcspn(l, "\n");
            if (len >= cap)
                len = cap - 1;
            memcpy(buf, l, len);
            buf[len] = '\0';
            return;
        }
    }
    fail_msg("no line starting with '%s' in:\n%s", prefix, text);
}

static int column_of(char **cells, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(cells[i], name) == 0)
            return i;
    }
    fail_msg("the audit table has no column '%s'", name);
    return -1;
}

/* `generate.py audit` prints the Markdown API table: tcp_stream connect exists on Linux (a
 * constructor, available on `native`), not on WASI; read exists on both. */
static void test_audit_table(void **state)
{
    ctx *c = *state;
    char args[CMD_CAP], header[2048], row[2048];
    char *hcells[32], *cells[32];
    copy_idl(c);
    format(args, sizeof(args), "audit --idl '%s/idl' --out '%s/out'", c->tmp, c->tmp);
    int rc = generate(c, c->tmp, args);
    if (rc != 0)
        fail_msg("generate.py audit failed (%d):\n%s", rc, c->out);
    assert_true(has_line_starting(c->out, "|---|---|"));

    find_line(c->out, "| type | operation |", header, sizeof(header));
    int nh = table_cells(header, hcells, 32);
    int linux_col = column_of(hcells, nh, "linux");
    int wasi_col = column_of(hcells, nh, "wasi");

    find_line(c->out, "| tcp_stream | connect |", row, sizeof(row));
    int n = table_cells(row, cells, 32);
    assert_int_equal(n, nh);
    assert_string_equal(cells[2], "`cmio_tcp_stream_connect`");
    assert_string_equal(cells[3], "constructor");
    assert_string_equal(cells[linux_col], "\u2713"); /* ✓ */
    assert_string_equal(cells[wasi_col], "\u2014");  /* — */

    find_line(c->out, "| tcp_stream | read |", row, sizeof(row));
    n = table_cells(row, cells, 32);
    assert_int_equal(n, nh);
    assert_string_equal(cells[3], "io *inline*"); /* schema kinds.io.inline */
    assert_string_equal(cells[linux_col], "\u2713");
    assert_string_equal(cells[wasi_col], "\u2713");
}

/* The inline fast paths follow the IDL: schema `kinds.io.inline` says which calls, the platform's
 * `handle` whether (fd only: windows, whose handle is a socket, has none). An edited copy of the
 * IDL: `send` leaves the inline list. */
static void test_inline_follows_idl(void **state)
{
    ctx *c = *state;
    static char text[OUT_CAP * 4];
    char p[PATH_MAX];
    copy_idl(c);
    int rc = run(c,
                 "cd '%s/idl' && sed -i 's/^    inline: \\[read, recv, recv_peek, send\\]$/"
                 "    inline: [read, recv, recv_peek]/' schema.yaml && "
                 "grep -c '^    handle: socket$' platforms.yaml && grep -c '^    inline: \\[read, "
                 "recv, recv_peek\\]$' schema.yaml",
                 c->tmp);
    if (rc != 0)
        fail_msg("editing the IDL copy failed (%d): %s", rc, c->out);
    assert_true(strstr(c->out, "1\n1\n") != NULL); /* windows; one inline list */
    rc = generate_into(c, "out");
    if (rc != 0)
        fail_msg("generate.py failed (%d):\n%s", rc, c->out);

    /* linux (handle fd): read is inline, write (send) no longer is. */
    path(c, p, "out/linux/include/cmio/tcp_stream.h");
    read_file(p, text, sizeof(text));
    assert_non_null(
        strstr(text, "static inline ssize_t cmio__tcp_stream_read(cmio_tcp_stream *stream"));
    assert_true(has_line_starting(text, "#define cmio_tcp_stream_read(stream, buf, len)"));
    assert_null(strstr(text, "cmio__tcp_stream_write"));
    path(c, p, "out/linux/src/tcp_stream.c");
    read_file(p, text, sizeof(text));
    assert_non_null(strstr(text, "return cmio__tcp_stream_read(stream, buf, len);"));
    assert_non_null(
        strstr(text, "cmio__sys_send(cmio__source_fd(&stream->src), buf, len, CMIO__SEND_FLAGS)"));

    /* windows (handle socket): nothing inline, every body in the wrapper, through the system
     * layer. */
    path(c, p, "out/windows/include/cmio/tcp_stream.h");
    read_file(p, text, sizeof(text));
    assert_null(strstr(text, "static inline"));
    assert_false(has_line_starting(text, "#define cmio_tcp_stream_read("));
    path(c, p, "out/windows/src/tcp_stream.c");
    read_file(p, text, sizeof(text));
    assert_null(strstr(text, "cmio__tcp_stream_read"));
    assert_non_null(strstr(text, "cmio__sys_read(cmio__source_fd(&stream->src), buf, len)"));
}

/* A bad IDL run over an existing output folder changes nothing in it. */
static void test_bad_idl_keeps_existing_output(void **state)
{
    ctx *c = *state;
    char out[PATH_MAX];
    copy_idl(c);
    int rc = generate_into(c, "out");
    if (rc != 0)
        fail_msg("generate.py failed on the good IDL (%d):\n%s", rc, c->out);
    path(c, out, "out");
    int files = age_tree(out);
    assert_true(files > 10);
    rc = run(c, "cp -a '%s/out' '%s/snapshot'", c->tmp, c->tmp);
    assert_int_equal(rc, 0);

    assert_true(apply_case(c, LATE_ERROR_CASE) > 0);
    rc = generate_into(c, "out");
    if (rc == 0)
        fail_msg("generate.py accepted tests/idl-bad/" LATE_ERROR_CASE ":\n%s", c->out);
    assert_true(has_line_starting(c->out, "generate: "));

    run(c, "diff -r '%s/snapshot' '%s/out' | head -n 60", c->tmp, c->tmp);
    if (c->out[0] != '\0')
        fail_msg("the bad run changed the output folder:\n%s", c->out);
    int changed = changed_files(out, NULL);
    if (changed != 0)
        fail_msg("the bad run touched %d files (first: %s)", changed, walk_first_changed);
    assert_int_equal(walk_files, files);
}

/* ---- the case list -------------------------------------------------------------------------- */

static char test_names[MAX_CASES][NAME_MAX + 16];
static bool too_many_cases;

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Lists tests/idl-bad/<case>/ (sorted); every directory there is a case. */
static void find_cases(void)
{
    const char *root = getenv("CMIO_ROOT");
    if (root == NULL || root[0] == '\0')
        return;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/tests/idl-bad", root);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    n_cases = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (n_cases == MAX_CASES) {
            too_many_cases = true;
            continue;
        }
        snprintf(case_names[n_cases++], sizeof(case_names[0]), "%s", e->d_name);
    }
    closedir(d);
    qsort(case_names, (size_t)n_cases, sizeof(case_names[0]), by_name);
}

/* Guards the list itself: tests/idl-bad was found and read whole, so no case is skipped. */
static void test_bad_idl_cases_listed(void **state)
{
    (void)state;
    need_env("CMIO_ROOT");
    if (n_cases < 0)
        fail_msg("cannot read $CMIO_ROOT/tests/idl-bad");
    if (too_many_cases)
        fail_msg("more than %d cases in tests/idl-bad: raise MAX_CASES", MAX_CASES);
    if (n_cases < 100)
        fail_msg("only %d cases in tests/idl-bad; expected at least 100", n_cases);
}

int main(void)
{
    /* Fixed tests first, then one test per bad-IDL case; unused slots stay zero (cmocka skips
     * entries without a name). */
    enum { FIXED = 7 };
    static struct CMUnitTest tests[FIXED + MAX_CASES] = {
        cmocka_unit_test(test_bad_idl_cases_listed),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_committed_tree_is_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rerun_keeps_mtimes_and_cleans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inline_follows_idl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_idl_keeps_existing_output, setup, teardown),
    };
    /* FIXED counts the entries above: the cases go right after them, overwriting none. */
    if (tests[FIXED - 1].name == NULL || tests[FIXED].name != NULL) {
        fprintf(stderr, "test_codegen: FIXED (%d) is not the number of fixed tests\n", FIXED);
        return 1;
    }
    find_cases();
    for (int i = 0; i < n_cases; i++) {
        snprintf(test_names[i], sizeof(test_names[0]), "bad_idl/%.*s", NAME_MAX, case_names[i]);
        tests[FIXED + i] =
            (struct CMUnitTest){test_names[i], test_bad_idl, setup, teardown, case_names[i]};
    }
    int failed = cmocka_run_group_tests_name("codegen", tests, NULL, NULL);
    remove_batch();
    return failed;
}
