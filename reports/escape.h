/* reports/escape.h: the one way each output language of the report writes a
 * string it did not make itself (a sweep name, a parameter value, a point
 * key, a claim's name: anything a spec, a store or a file name can carry).
 * A hostile value comes out inert and displayed as written.
 *
 *     rp_gp_quote(f, title);          // a gnuplot string literal
 *     rp_html_text(f, value);         // HTML text or attribute value
 *     rp_md_text(f, value);           // Markdown inline text
 *     rp_csv_text(f, value);          // a CSV field needing no quotes
 *     rp_file_part(name, 64, "train-", key);   // a safe file name
 *
 * Why each form (docs/security.md has the table):
 * - gnuplot substitutes `cmd` (a shell command) on the raw line, before it
 *   reads a string, and @macro; it reads "\140" in a double-quoted string as
 *   a backquote only after that. So the literal is double-quoted with " and
 *   \ escaped by a backslash and ` and @ written in octal (\140, \100):
 *   the line never holds them. (Single quotes would need '' for a quote,
 *   which gnuplot 5.4 misreads when two follow each other.) Line breaks
 *   would end the command.
 * - HTML: & < > " ' are the characters that open markup or close an
 *   attribute value.
 * - Markdown: a backslash before ASCII punctuation makes it literal
 *   (CommonMark), which keeps `code`, *emphasis*, [links], table cells and
 *   raw <html> from forming.
 * - CSV: a field starting with = + - @ is a formula to a spreadsheet.
 * - File names: a key may hold '/', "..", quotes or line breaks; the name
 *   keeps [A-Za-z0-9._-] and replaces the rest, with a hash of the original
 *   appended when anything was replaced, so two keys never share a file.
 * Memory: nothing kept. */
#ifndef LOGIQ_RP_ESCAPE_H
#define LOGIQ_RP_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Writes s as a gnuplot double-quoted string literal, quotes included;
 * control characters become spaces. */
void rp_gp_quote(FILE *f, const char *s);
/* Writes s as HTML text, safe in element content and in a quoted
 * attribute value. */
void rp_html_text(FILE *f, const char *s);
/* Writes s as Markdown inline text; line breaks become spaces. */
void rp_md_text(FILE *f, const char *s);
/* The backtick fence (at least 3) that a Markdown code block holding s
 * needs: one longer than the longest run of backticks in s. */
int rp_md_fence_len(const char *s);
/* Writes s as a CSV field: commas become ';', double quotes ''', line breaks
 * spaces, and a leading formula character is preceded by a quote. */
void rp_csv_text(FILE *f, const char *s);
/* A number for a CSV: the shortest %.Ng (N = 1..17) that reads back to
 * the same double (0.1, not 0.100000001); nothing for NAN or infinities. */
void rp_csv_num(FILE *f, double v);
/* Writes PREFIX + ID into out (size >= 32) as a file name made only of
 * [A-Za-z0-9._-], never starting with '.': ID's other characters become
 * '_', and when any did (or ID was too long), '-' and 8 hex digits of a
 * hash of ID are appended. Returns out. */
char *rp_file_part(char *out, size_t size, const char *prefix, const char *id);

#endif
