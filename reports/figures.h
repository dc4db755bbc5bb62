/* reports/figures.h: writes every figure's CSV and gnuplot script into the
 * output folder and lists them in the report (report.h says which figures).
 * Drawing them is gnuplot's job (gnuplot.h); a figure that the data do not
 * allow (no done point, a missing log or model) is left out with a note.
 *
 * Memory: grows r->figs and r->notes. */
#ifndef LOGIQ_RP_FIGURES_H
#define LOGIQ_RP_FIGURES_H

#include "reports/report.h"

enum rp_status rp_figures_write(struct rp_report *r, const char *dir, struct rp_error *err);

/* The style of a merge kind in every figure: colour ("#rrggbb") and gnuplot
 * point type. */
const char *rp_merge_color(const char *merge);
int rp_merge_pt(const char *merge);

#endif
