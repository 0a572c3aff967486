#include "core/event_types.h"

#include <string.h>

/* One per line, sorted: tests read this table from the source. */
const char *const event_types[] = {
	"action.created",
	"action.done",
	"activity.acknowledged",
	"activity.active",
	"activity.cancelled",
	"activity.completed",
	"activity.modified",
	"activity.notified",
	"conflict.acknowledged",
	"conflict.opened",
	"conflict.resolved",
	"deployment.declared",
	"deployment.modified",
	"deployment.withdrawn",
	"dispute.escalated",
	"dispute.mediation",
	"dispute.opened",
	"dispute.resolved",
	"dispute.responded",
	"dispute.withdrawn",
	"meeting.minutes",
	"meeting.series_created",
	"message.acked",
	"message.created",
	"message.escalated",
	"party.created",
	"threat.lapsed",
	"threat.reported",
	"threat.responded",
	"track.created",
	"track.updated",
	"user.certificate_issued",
	"user.created",
	"user.deleted",
	"zone.accepted",
	"zone.declared",
	"zone.rejected",
	"zone.withdrawn",
	NULL,
};

int event_type_known(const char *type)
{
	if (!type)
		return 0;
	for (const char *const *t = event_types; *t; t++)
		if (strcmp(*t, type) == 0)
			return 1;
	return 0;
}
