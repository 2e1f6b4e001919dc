/* placeholder, replaced below */
#include <check.h>
#include "testlib.h"
START_TEST(t_none) { ck_assert_int_eq(0, 0); } END_TEST
int main(void) { Suite *s = suite_create("serve"); TCase *tc = tl_tcase(s, "none", 5); tcase_add_test(tc, t_none); return tl_run(s); }
