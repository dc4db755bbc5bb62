/* reports/page.h: the report's pages, in the output folder:
 *
 *   points.csv   every point: status, parameters, figures, Pareto flags, the
 *                reason of a failed one (figures not measured are empty);
 *   index.html   every figure (img tags with relative paths to the PNGs,
 *                linking their SVG, CSV and script), the best points, the
 *                failed points with their reasons, the sweep's parameters
 *                and spec, and notes on what could not be drawn. A small
 *                inline script records on <body>, once the page has loaded,
 *                data-images (the count of images) and data-images-loaded
 *                (those with naturalWidth > 0), for automated checks;
 *   report.md    the same for a repository (images by relative path).
 *
 * Memory: nothing kept. */
#ifndef LOGIQ_RP_PAGE_H
#define LOGIQ_RP_PAGE_H

#include "reports/report.h"

enum rp_status rp_page_points_csv(const struct rp_report *r, const char *dir,
                                  struct rp_error *err);
enum rp_status rp_page_html(const struct rp_report *r, const struct rp_options *o,
                            struct rp_error *err);
enum rp_status rp_page_md(const struct rp_report *r, const struct rp_options *o,
                          struct rp_error *err);

#endif
