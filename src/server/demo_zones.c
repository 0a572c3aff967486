/*
 * demo_zones — zones, deployments and activities of the demo scenario
 * (architecture.md, Demo scenario), declared through the API so that the
 * engine finds a few conflicts a visitor sees at once:
 *
 * il-sy: the 1974 area of separation on the Golan (demilitarized, declared by
 *   IL, accepted by SY), the areas of limitation on each side (0–10 km: 6,000
 *   troops, 75 tanks, 36 artillery; 10–20 km: 450 tanks, 162 artillery;
 *   0–25 km: no air defence), IL's proposal to demilitarise southern Syria
 *   (Quneitra, Daraa, Suwayda; not accepted by SY). A Syrian brigade above
 *   the 10 km caps and an air-defence battery inside 25 km
 *   (limitation_exceeded), an IL reconnaissance flight over the area of
 *   separation (demilitarized_breach).
 * ru-il: the RU base at Hmeimim and an IL strike within the margin of it
 *   (deployment_risk). RU mediates il-sy; it is a principal only here.
 * tr-il: the TR influence area around Palmyra, a TR UAV orbit over T4 and an
 *   IL air sortie crossing it (activity_overlap), an IL reconnaissance flight
 *   into the influence area (influence_entry).
 * Coordinates are approximate.
 */
#include <stdio.h>
#include "server/demo.h"

/* The area of separation: west edge A1 A2 A3, east edge B1 B2 B3. */
#define A1 "[35.78,32.70]"
#define A2 "[35.79,33.13]"
#define A3 "[35.86,33.38]"
#define B1 "[35.86,32.70]"
#define B2 "[35.90,33.00]"
#define B3 "[35.93,33.32]"
#define POLY(ring) "{\"type\":\"Polygon\",\"coordinates\":[[" ring "]]}"

static int accept_zone(struct demo *d, const char *party, const char *track, const char *id)
{
	char path[160];
	snprintf(path, sizeof path, "/v1/tracks/%s/zones/%s/accept", track, id);
	return demo_post(d, party, path, NULL, "{}");
}

/* Declares a zone in force in il-sy: by `by`, accepted by the other principal. */
static int agreed_zone(struct demo *d, const char *by, const char *other, const char *body)
{
	char id[APP_ID_BUFSZ];
	if (demo_post(d, by, "/v1/tracks/il-sy/zones", id, "%s", body))
		return -1;
	return accept_zone(d, other, "il-sy", id);
}

static int seed_golan(struct demo *d)
{
	char t0[TQTIME_BUFSZ], t1[TQTIME_BUFSZ];
	if (agreed_zone(d, "IL", "SY",
			"{\"kind\":\"demilitarized\",\"name\":\"Area of separation (1974 disengagement agreement)\","
			"\"geometry\":" POLY(A1 "," B1 "," B2 "," B3 "," A3 "," A2 "," A1) "}") ||
	    agreed_zone(d, "IL", "SY",
			"{\"kind\":\"limitation\",\"name\":\"Area of limitation 0–10 km (Israeli side)\","
			"\"caps\":{\"troops\":6000,\"tanks\":75,\"artillery\":36},"
			"\"geometry\":" POLY(A1 "," A2 "," A3 ",[35.76,33.42],[35.69,33.13],[35.68,32.70]," A1) "}") ||
	    agreed_zone(d, "IL", "SY",
			"{\"kind\":\"limitation\",\"name\":\"Area of limitation 10–20 km (Israeli side)\","
			"\"caps\":{\"tanks\":450,\"artillery\":162},"
			"\"geometry\":" POLY("[35.68,32.70],[35.69,33.13],[35.76,33.42],[35.66,33.44],[35.59,33.13],"
					     "[35.58,32.70],[35.68,32.70]") "}") ||
	    agreed_zone(d, "IL", "SY",
			"{\"kind\":\"limitation\",\"name\":\"No surface-to-air missiles within 25 km (Israeli side)\","
			"\"caps\":{\"air_defense\":0},"
			"\"geometry\":" POLY(A1 "," A2 "," A3 ",[35.70,33.50],[35.54,33.13],[35.53,32.70]," A1) "}") ||
	    agreed_zone(d, "SY", "IL",
			"{\"kind\":\"limitation\",\"name\":\"Area of limitation 0–10 km (Syrian side)\","
			"\"caps\":{\"troops\":6000,\"tanks\":75,\"artillery\":36},"
			"\"geometry\":" POLY(B1 ",[35.96,32.70],[36.00,33.00],[36.03,33.32],[35.95,33.45]," A3 "," B3
					     "," B2 "," B1) "}") ||
	    agreed_zone(d, "SY", "IL",
			"{\"kind\":\"limitation\",\"name\":\"Area of limitation 10–20 km (Syrian side)\","
			"\"caps\":{\"tanks\":450,\"artillery\":162},"
			"\"geometry\":" POLY("[35.96,32.70],[36.06,32.70],[36.10,33.00],[36.13,33.32],[36.05,33.52],"
					     "[35.95,33.45],[36.03,33.32],[36.00,33.00],[35.96,32.70]") "}") ||
	    agreed_zone(d, "SY", "IL",
			"{\"kind\":\"limitation\",\"name\":\"No surface-to-air missiles within 25 km (Syrian side)\","
			"\"caps\":{\"air_defense\":0},"
			"\"geometry\":" POLY(B1 ",[36.11,32.70],[36.15,33.00],[36.18,33.32],[36.08,33.58]," A3 "," B3
					     "," B2 "," B1) "}"))
		return -1;
	/* Proposed by Israel, not accepted by Syria: shown as a proposal, applies no rule. */
	if (demo_post(d, "IL", "/v1/tracks/il-sy/zones", NULL,
		      "{\"kind\":\"demilitarized\",\"name\":\"Proposed demilitarisation of southern Syria "
		      "(Quneitra, Daraa, Suwayda)\",\"geometry\":" POLY("[35.80,32.45],[36.80,32.45],[36.80,32.95],"
									 "[36.30,33.30],[35.95,33.30],[35.80,33.15],"
									 "[35.80,32.45]") "}"))
		return -1;

	/* Deployments: an Israeli brigade within the caps, a Syrian brigade above
	 * them, a Syrian air-defence battery inside 25 km. */
	if (demo_post(d, "IL", "/v1/tracks/il-sy/deployments", NULL,
		      "{\"unit\":\"IDF armoured brigade (Golan)\",\"geometry\":{\"type\":\"Point\","
		      "\"coordinates\":[35.73,33.05]},\"radius_m\":3000,"
		      "\"strength\":{\"troops\":3000,\"tanks\":40,\"artillery\":20,\"air_defense\":0}}") ||
	    demo_post(d, "SY", "/v1/tracks/il-sy/deployments", NULL,
		      "{\"unit\":\"SAA mechanised brigade (Quneitra sector)\",\"geometry\":{\"type\":\"Point\","
		      "\"coordinates\":[35.96,33.10]},\"radius_m\":3000,"
		      "\"strength\":{\"troops\":7500,\"tanks\":90,\"artillery\":36,\"air_defense\":0}}") ||
	    demo_post(d, "SY", "/v1/tracks/il-sy/deployments", NULL,
		      "{\"unit\":\"SAA air-defence battery\",\"geometry\":{\"type\":\"Point\","
		      "\"coordinates\":[36.10,33.20]},\"radius_m\":500,"
		      "\"strength\":{\"troops\":120,\"air_defense\":2}}"))
		return -1;

	/* The reconnaissance flight of the hotline exchange, over the area of separation. */
	if (demo_post(d, "IL", "/v1/tracks/il-sy/activities", NULL,
		      "{\"kind\":\"air_sortie\",\"description\":\"Unarmed reconnaissance flight north of Quneitra\","
		      "\"geometry\":" POLY("[35.80,33.18],[35.92,33.18],[35.92,33.28],[35.80,33.28],[35.80,33.18]") ","
		      "\"altitude\":{\"min_m\":1000,\"max_m\":4500},\"window\":{\"start\":\"%s\",\"end\":\"%s\"}}",
		      demo_time(d, 180, t0), demo_time(d, 240, t1)))
		return -1;
	return 0;
}

static int seed_hmeimim(struct demo *d)
{
	char t0[TQTIME_BUFSZ], t1[TQTIME_BUFSZ];
	if (demo_post(d, "RU", "/v1/tracks/ru-il/zones", NULL,
		      "{\"kind\":\"base\",\"name\":\"Hmeimim air base\",\"geometry\":"
		      POLY("[35.92,35.38],[35.98,35.38],[35.98,35.44],[35.92,35.44],[35.92,35.38]") "}") ||
	    demo_post(d, "IL", "/v1/tracks/ru-il/activities", NULL,
		      "{\"kind\":\"strike\",\"description\":\"Strike on a weapons depot north of Hmeimim\","
		      "\"geometry\":{\"type\":\"Point\",\"coordinates\":[35.93,35.46]},\"radius_m\":1500,"
		      "\"altitude\":{\"min_m\":0,\"max_m\":8000},\"window\":{\"start\":\"%s\",\"end\":\"%s\"}}",
		      demo_time(d, 300, t0), demo_time(d, 330, t1)))
		return -1;
	return 0;
}

static int seed_palmyra(struct demo *d)
{
	char t0[TQTIME_BUFSZ], t1[TQTIME_BUFSZ];
	if (demo_post(d, "TR", "/v1/tracks/tr-il/zones", NULL,
		      "{\"kind\":\"influence\",\"name\":\"Turkish area of influence around Palmyra\",\"geometry\":"
		      POLY("[37.90,34.30],[38.60,34.30],[38.60,34.85],[37.90,34.85],[37.90,34.30]") "}") ||
	    demo_post(d, "TR", "/v1/tracks/tr-il/activities", NULL,
		      "{\"kind\":\"uav\",\"description\":\"UAV orbit over Tiyas (T4)\","
		      "\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.63,34.52]},\"radius_m\":15000,"
		      "\"altitude\":{\"min_m\":3000,\"max_m\":6000},\"window\":{\"start\":\"%s\",\"end\":\"%s\"}}",
		      demo_time(d, 120, t0), demo_time(d, 360, t1)) ||
	    demo_post(d, "IL", "/v1/tracks/tr-il/activities", NULL,
		      "{\"kind\":\"air_sortie\",\"description\":\"Air sortie along the corridor to T4\","
		      "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[36.90,34.30],[37.80,34.60]]},"
		      "\"width_m\":10000,\"altitude\":{\"min_m\":5000,\"max_m\":9000},"
		      "\"window\":{\"start\":\"%s\",\"end\":\"%s\"}}",
		      demo_time(d, 180, t0), demo_time(d, 240, t1)) ||
	    demo_post(d, "IL", "/v1/tracks/tr-il/activities", NULL,
		      "{\"kind\":\"air_sortie\",\"description\":\"Reconnaissance flight over Palmyra\",\"geometry\":"
		      POLY("[38.15,34.45],[38.40,34.45],[38.40,34.65],[38.15,34.65],[38.15,34.45]") ","
		      "\"altitude\":{\"min_m\":6000,\"max_m\":9000},\"window\":{\"start\":\"%s\",\"end\":\"%s\"}}",
		      demo_time(d, 1440, t0), demo_time(d, 1500, t1)))
		return -1;
	return 0;
}

int demo_seed_zones(struct demo *d)
{
	return seed_golan(d) || seed_hmeimim(d) || seed_palmyra(d) ? -1 : 0;
}
