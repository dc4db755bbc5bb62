/* sweeps/shell.h: writing strings into the shell scripts logiq generates
 * (the Slurm array job). A path, a sweep name or a point key may hold any
 * byte; what these write is inert to bash: never expanded, never split,
 * never a second command.
 *
 *     fputs("exec ", f);
 *     sw_sh_quote(f, self);            // '/opt/x'\''y/logiq'
 *     sw_sh_comment(f, spec_path);     // inside a # comment line
 *
 * Memory: nothing kept. */
#ifndef LOGIQ_SW_SHELL_H
#define LOGIQ_SW_SHELL_H

#include <stddef.h>
#include <stdio.h>

/* Writes s as one shell word: single-quoted, each ' written as '\''.
 * Inside single quotes bash expands nothing ($, `, \, ! and line breaks are
 * literal). */
void sw_sh_quote(FILE *f, const char *s);
/* The same word for a # comment or a message that a user may copy into a
 * shell: control characters (a line break would end the comment) become
 * '?'. */
void sw_sh_quote_shown(FILE *f, const char *s);
/* Writes s for the rest of a # comment line: control characters (a line
 * break would end the comment) become '?'. */
void sw_sh_comment(FILE *f, const char *s);
/* Writes s into out as a Slurm job name part: [A-Za-z0-9._-] kept, every
 * other byte '_'. Returns out. */
char *sw_sh_name(char *out, size_t size, const char *s);

#endif
