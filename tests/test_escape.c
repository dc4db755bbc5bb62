/* tests/test_escape.c: the one escaping function of each output language
 * (reports/escape.h, sweeps/shell.h) on the characters that matter there.
 *
 * The gnuplot and shell quotes are held against the real interpreters:
 * each hostile string, quoted, is printed back by gnuplot (`print`) and by
 * /bin/sh and bash (`printf %s`), and must come out exactly as written,
 * with no file created by the backquote or $(...) inside it. HTML,
 * Markdown, CSV and file names are compared with their expected text.
 * Tolerance: none, every comparison is exact. gnuplot absent: its part is
 * skipped with a line saying so (scripts/install-deps.sh installs it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/escape.h"
#include "sweeps/shell.h"
#include "tests/testutil.h"

static char scratch[512];

static const char *const hostile[] = {
    "plain",
    "x`touch PWNED1`",
    "$(touch PWNED2)",
    "a'b\"c\\d",
    "it''s '' @macro @b",
    "<script>alert(1)</script>",
    "'; DROP TABLE points; --",
    "back\\",
    "tab\there ! * ? [a] {b,c} ~ # & | ; > <",
    "'$(touch PWNED3)'",
};
#define N_HOSTILE ((int)(sizeof hostile / sizeof hostile[0]))

/* What f's writer makes of s, as a string. */
static char *render(void (*w)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    w(f, s);
    fclose(f);
    return buf;
}

static int pwned(void)
{
    char p[700];
    int found = 0;
    for (int i = 1; i <= 3; i++) {
        snprintf(p, sizeof p, "%s/PWNED%d", scratch, i);
        found |= access(p, F_OK) == 0;
    }
    return found;
}

/* Runs cmd in the scratch folder; its output (up to size - 1) into out. */
static int run_in_scratch(const char *cmd, char *out, size_t size)
{
    char full[2048];
    snprintf(full, sizeof full, "cd '%s' && %s", scratch, cmd);
    FILE *p = popen(full, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    return pclose(p);
}

static void test_gnuplot(void)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("skip: gnuplot not installed; its quote is not run through it\n");
        return;
    }
    char path[700];
    snprintf(path, sizeof path, "%s/q.gp", scratch);
    FILE *f = fopen(path, "w");
    fputs("set print '-'\n", f);
    for (int i = 0; i < N_HOSTILE; i++) {
        fputs("print ", f);
        rp_gp_quote(f, hostile[i]);
        fputc('\n', f);
        /* in a title too, as the report writes it */
        fputs("set title ", f);
        rp_gp_quote(f, hostile[i]);
        fputc('\n', f);
    }
    fclose(f);
    char out[8192];
    int rc = run_in_scratch("gnuplot q.gp 2>&1", out, sizeof out);
    TU_CHECK(rc == 0, "gnuplot ran the quoted strings (exit %d): %s", rc, out);
    TU_CHECK(!pwned(), "gnuplot ran a command inside a quoted string");
    /* every printed string, as written, one a line */
    const char *o = out;
    for (int i = 0; i < N_HOSTILE; i++) {
        const char *nl = strchr(o, '\n');
        size_t len = nl ? (size_t)(nl - o) : strlen(o);
        char want[256];
        snprintf(want, sizeof want, "%s", hostile[i]);
        for (char *c = want; *c; c++)
            *c = *c == '\t' ? ' ' : *c;  /* control characters become spaces */
        TU_CHECK(len == strlen(want) && strncmp(o, want, len) == 0,
                 "gnuplot prints '%s' for '%s'", o, want);
        o = nl ? nl + 1 : o + len;
    }
    char *q = render(rp_gp_quote, "a\nb");
    TU_CHECK(strcmp(q, "\"a b\"") == 0, "a line break in a gnuplot string: %s", q);
    free(q);
    q = render(rp_gp_quote, "x`y@z\"\\");
    TU_CHECK(strcmp(q, "\"x\\140y\\100z\\\"\\\\\"") == 0,
             "no backquote or @ on a gnuplot line: %s", q);
    free(q);
}

static void test_shell(void)
{
    for (int i = 0; i < N_HOSTILE; i++) {
        char *q = render(sw_sh_quote, hostile[i]);
        const char *shells[] = {"/bin/sh", "/bin/bash"};
        for (int s = 0; s < 2; s++) {
            char path[700];
            snprintf(path, sizeof path, "%s/q.sh", scratch);
            FILE *f = fopen(path, "w");
            fprintf(f, "printf %%s ");
            fputs(q, f);
            fputc('\n', f);
            fclose(f);
            char cmd[800], out[1024];
            snprintf(cmd, sizeof cmd, "%s q.sh", shells[s]);
            int rc = run_in_scratch(cmd, out, sizeof out);
            TU_CHECK(rc == 0 && strcmp(out, hostile[i]) == 0,
                     "%s prints '%s' for the word %s (exit %d)", shells[s], out, q, rc);
        }
        free(q);
    }
    TU_CHECK(!pwned(), "the shell ran a command inside a quoted word");
    char *c = render(sw_sh_comment, "a\nrm -rf x\r");
    TU_CHECK(strcmp(c, "a?rm -rf x?") == 0, "a comment keeps to its line: %s", c);
    free(c);
    char name[64];
    TU_CHECK(strcmp(sw_sh_name(name, sizeof name, "n'$(id>X)'"), "n___id_X__") == 0,
             "a job name keeps [A-Za-z0-9._-]: %s", name);
}

static void test_html_md_csv(void)
{
    static const struct {
        void (*w)(FILE *, const char *);
        const char *in, *want, *what;
    } cases[] = {
        {rp_html_text, "<script>alert('x')</script> & \"q\"",
         "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;", "HTML"},
        {rp_html_text, "x`touch y`", "x`touch y`", "HTML (backquote is text)"},
        {rp_md_text, "<script>x</script>", "\\<script\\>x\\</script\\>", "Markdown"},
        {rp_md_text, "a|b*c_d`e[f](g) \\ &amp;", "a\\|b\\*c\\_d\\`e\\[f\\](g) \\\\ \\&amp;",
         "Markdown"},
        {rp_md_text, "two\nlines", "two lines", "Markdown"},
        {rp_csv_text, "a,b\"c\nd", "a;b'c d", "CSV"},
        {rp_csv_text, "=HYPERLINK(\"x\")", "'=HYPERLINK('x')", "CSV formula"},
        {rp_csv_text, "@SUM(A1)", "'@SUM(A1)", "CSV formula"},
        {rp_csv_text, "-0.5", "-0.5", "CSV negative number"},
        {rp_csv_text, "-cmd", "'-cmd", "CSV formula"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = render(cases[i].w, cases[i].in);
        TU_CHECK(strcmp(got, cases[i].want) == 0, "%s of '%s': '%s', expected '%s'",
                 cases[i].what, cases[i].in, got, cases[i].want);
        free(got);
    }
    TU_CHECK(rp_md_fence_len("no ticks") == 3, "fence of plain text");
    TU_CHECK(rp_md_fence_len("a ````` b ``") == 6, "fence longer than the longest run");
}

static void test_file_part(void)
{
    char a[64], b[64];
    TU_CHECK(strcmp(rp_file_part(a, sizeof a, "train-", "0123abcdef"), "train-0123abcdef") == 0,
             "a clean key is kept: %s", a);
    rp_file_part(a, sizeof a, "claim-", "../../x`touch y`");
    TU_CHECK(strncmp(a, "claim-.._.._x_touch_y_-", 23) == 0 && strlen(a) == 31,
             "a hostile id is replaced and hashed: %s", a);
    for (const char *c = a; *c; c++)
        TU_CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *c),
                 "'%c' in the file name %s", *c, a);
    rp_file_part(b, sizeof b, "claim-", "../../x'touch y'");
    TU_CHECK(strcmp(a, b) != 0, "two ids replaced alike keep two names: %s, %s", a, b);
    rp_file_part(a, sizeof a, "", ".hidden");
    TU_CHECK(a[0] != '.', "never a hidden file: %s", a);
    char longid[200];
    memset(longid, 'k', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    rp_file_part(a, sizeof a, "claim-", longid);
    TU_CHECK(strlen(a) == sizeof a - 1, "a long id is cut to fit with its hash: %zu", strlen(a));
}

int main(void)
{
    tu_scratch_path(scratch, sizeof scratch, "escape");
    mkdir(scratch, 0755);
    test_gnuplot();
    test_shell();
    test_html_md_csv();
    test_file_part();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", scratch);
    return tu_exit("test_escape");
}
