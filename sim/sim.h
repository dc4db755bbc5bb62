/* sim/: the cycle-accurate SystemC model of the reference accelerator.
 *
 * Only the C entry points live here; the SystemC modules are C++17 and are
 * reached through these extern "C" functions, so cli/ stays C11.
 * At this stage the part holds the version query that proves SystemC links. */
#ifndef LOGIQ_SIM_H
#define LOGIQ_SIM_H

#ifdef __cplusplus
extern "C" {
#endif

/* The SystemC kernel's version string, e.g. "2.3.4". Never NULL. */
const char *sim_systemc_version(void);

#ifdef __cplusplus
}
#endif
#endif
