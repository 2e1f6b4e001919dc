/*
 * grade_wrap: sem_post() as the graders' builds see it (linked with
 * -Wl,--wrap=sem_post into every program of a grading, tests/grade.sh):
 * the real post, after the library has recorded whether ex_sem_unlock()
 * posted while still published as the holder (contract.h).  And the
 * switch that makes the library record the contract at all.
 */
#include <semaphore.h>

#include "contract.h"

int __real_sem_post(sem_t *sem);
int __wrap_sem_post(sem_t *sem);

/* A grading build: the library records the exercises' contract. */
const bool contract_on = true;

int
__wrap_sem_post(sem_t *sem)
{
	contract_sem_post(sem);
	return __real_sem_post(sem);
}
