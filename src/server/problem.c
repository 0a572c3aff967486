#include "server/problem.h"

#include <stdio.h>
#include "core/tqerr.h"

int problem_status(int status, int *err, int store_down, char *detail, size_t len)
{
	if (!store_down || (*err != TQ_EUNAVAIL && status != 500))
		return status;
	*err = TQ_EUNAVAIL;
	snprintf(detail, len, "%s", PROBLEM_DATABASE_UNREACHABLE);
	return 503;
}
