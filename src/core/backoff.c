#include "core/backoff.h"

int64_t backoff_delay_ms(unsigned attempt)
{
	int64_t d = BACKOFF_FIRST_MS;
	for (unsigned i = 1; i < attempt && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < BACKOFF_MAX_MS ? d : BACKOFF_MAX_MS;
}
