/* reports/escape.c: escaping per output language (escape.h). */
#include "reports/escape.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int is_ctrl(unsigned char c) { return c < 0x20 || c == 0x7f; }

void rp_gp_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '`' || *p == '@')
            fprintf(f, "\\%03o", *p);  /* octal: no backquote or macro on the line */
        else
            fputc(is_ctrl(*p) ? ' ' : *p, f);
    }
    fputc('"', f);
}

void rp_html_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(is_ctrl(*p) && *p != '\n' && *p != '\t' ? ' ' : *p, f);
        }
    }
}

void rp_md_text(FILE *f, const char *s)
{
    static const char special[] = "\\`*_[]<>|&!#~";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_ctrl(*p)) {
            fputc(' ', f);
            continue;
        }
        if (strchr(special, *p))
            fputc('\\', f);
        fputc(*p, f);
    }
}

int rp_md_fence_len(const char *s)
{
    int longest = 0, run = 0;
    for (; *s; s++) {
        run = *s == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    return longest >= 3 ? longest + 1 : 3;
}

void rp_csv_text(FILE *f, const char *s)
{
    int formula = s[0] == '=' || s[0] == '+' || s[0] == '@' ||
                  (s[0] == '-' && !(s[1] >= '0' && s[1] <= '9') && s[1] != '.');
    if (formula)
        fputc('\'', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p == ',' ? ';' : *p == '"' ? '\'' : is_ctrl(*p) ? ' ' : *p, f);
}

static int file_char_ok(unsigned char c, size_t at)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || (c == '.' && at > 0);
}

char *rp_file_part(char *out, size_t size, const char *prefix, const char *id)
{
    enum { HASH_LEN = 9 };  /* '-' and 8 hex digits */
    size_t n = (size_t)snprintf(out, size, "%s", prefix);
    if (n + HASH_LEN + 1 >= size)
        n = size > HASH_LEN + 2 ? size - HASH_LEN - 2 : 0;
    size_t len = strlen(id);
    int clean = n + len < size;
    for (size_t i = 0; i < len && clean; i++)
        clean = file_char_ok((unsigned char)id[i], n + i);
    if (clean) {
        memcpy(out + n, id, len + 1);
        return out;
    }
    for (size_t i = 0; i < len && n + HASH_LEN + 1 < size; i++, n++)
        out[n] = file_char_ok((unsigned char)id[i], n) ? id[i] : '_';
    uint32_t h = 2166136261u;  /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 16777619u;
    snprintf(out + n, size - n, "-%08x", (unsigned)h);
    return out;
}

void rp_csv_num(FILE *f, double v)
{
    if (!isfinite(v))
        return;
    char buf[40];
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, f);
}
