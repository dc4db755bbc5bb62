/* sweeps/shell.c: strings into generated shell scripts (shell.h). */
#include "sweeps/shell.h"

void sw_sh_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

void sw_sh_quote_shown(FILE *f, const char *s)
{
    fputc('\'', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
    }
    fputc('\'', f);
}

void sw_sh_comment(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

char *sw_sh_name(char *out, size_t size, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 1 < size; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.';
        out[n++] = ok ? (char)*p : '_';
    }
    if (size)
        out[n] = 0;
    return out;
}
