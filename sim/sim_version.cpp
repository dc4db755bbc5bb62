// The SystemC version query: the smallest real use of the kernel, which makes
// the build fail early if SystemC is missing or linked from the wrong standard.
#include "sim/sim.h"

#include <systemc>

extern "C" const char *sim_systemc_version(void)
{
    return sc_core::sc_release();
}

// libsystemc.so defines main() and references sc_main from it, so any program
// linking the library must provide sc_main even though logiq's own main() (in
// cli/) is the one that runs: the linker resolves main to ours, and this
// function is never called. A program that links logiq_sim calls
// sim_systemc_version, which pulls this file in from the static library.
// logiq elaborates and starts its models from the C entry points instead
// (one design point per process).
int sc_main(int, char **)
{
    return 1;
}
