#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef BK_SCENARIO_DIR
#error "BK_SCENARIO_DIR must be defined by the build"
#endif

const char *harness_scenario_dir(void) { return BK_SCENARIO_DIR; }

int harness_run(Suite **suites, int n_suites)
{
    SRunner *runner = srunner_create(suites[0]);
    for (int i = 1; i < n_suites; i++)
        srunner_add_suite(runner, suites[i]);
    srunner_run_all(runner, CK_NORMAL);
    int run = srunner_ntests_run(runner);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);

    const char *tally = getenv("BK_TEST_TALLY");
    if (tally && *tally) {
        FILE *f = fopen(tally, "a");
        if (f) {
            fprintf(f, "%d %d\n", run - failed, failed);
            fclose(f);
        }
    }
    if (run == 0) {
        fprintf(stderr, "no test ran\n");
        return EXIT_FAILURE;
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
