/* Shared main() for the Check suites: runs a suite, prints Check's summary
 * and adds "passed failed" to the tally file named by $BK_TEST_TALLY, from
 * which tests/run-all.sh prints the one totals line CI reads. */
#ifndef BK_TESTS_HARNESS_H
#define BK_TESTS_HARNESS_H

#include <check.h>

/* Runs every suite, frees them, returns the process exit status. */
int harness_run(Suite **suites, int n_suites);

/* Where the copied public scenarios live (tests/scenarios), from the build. */
const char *harness_scenario_dir(void);

#endif
