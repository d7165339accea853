/* test_counting.c: allocations and mutex locks by threads other than the
 * test's own, counted between counting_start() and counting_stop(). */
#ifndef TRUNKD_TEST_COUNTING_H
#define TRUNKD_TEST_COUNTING_H

void counting_start(void);
void counting_stop(unsigned long *allocs, unsigned long *locks);

#endif /* TRUNKD_TEST_COUNTING_H */
