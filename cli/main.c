#include <stdio.h>
#include "sim/sim.h"
int main(void) { printf("systemc %s\n", sim_systemc_version()); return 0; }
