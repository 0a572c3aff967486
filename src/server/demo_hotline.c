/*
 * demo_hotline — a short hotline exchange in each demo track, in the parties'
 * own languages (Hebrew and Arabic on il-sy, Turkish on tr-il, Russian on
 * ru-il), sent and acknowledged through the API like any client would.
 */
#include <stdio.h>
#include "server/demo.h"

static int ack(struct demo *d, const char *party, const char *track, const char *id)
{
	char path[160];
	snprintf(path, sizeof path, "/v1/tracks/%s/messages/%s/ack", track, id);
	return demo_post(d, party, path, NULL, "{}");
}

int demo_seed_hotline(struct demo *d)
{
	char id[APP_ID_BUFSZ];

	/* il-sy: Israel notifies Syria in Hebrew; Syria acknowledges and answers in Arabic. */
	if (demo_post(d, "IL", "/v1/tracks/il-sy/messages", id,
		      "{\"to\":[\"SY\"],\"precedence\":\"immediate\","
		      "\"subject\":\"טיסת סיור מעל רמת הגולן\","
		      "\"body\":\"הודעה מוקדמת: טיסת סיור בלתי חמושה מעל רמת הגולן, מצפון לקונייטרה, "
		      "בגובה של עד 4,500 מטר, בין 14:00 ל־15:00 UTC. נא לאשר קבלה.\"}") ||
	    ack(d, "SY", "il-sy", id))
		return -1;
	if (demo_post(d, "SY", "/v1/tracks/il-sy/messages", NULL,
		      "{\"to\":[\"IL\"],\"precedence\":\"priority\",\"subject\":\"رد: رحلة الاستطلاع\","
		      "\"body\":\"تم الاستلام. نطلب تأكيد المسار الدقيق والارتفاع الأقصى قبل الساعة 13:00 UTC، "
		      "وإبلاغ الوسيط الروسي بأي تغيير.\","
		      "\"refs\":[{\"type\":\"message\",\"id\":\"%s\"}]}",
		      id))
		return -1;

	/* tr-il: Türkiye informs everyone (the host included) in Turkish; Israel acknowledges. */
	if (demo_post(d, "TR", "/v1/tracks/tr-il/messages", id,
		      "{\"to\":\"all\",\"precedence\":\"flash\",\"subject\":\"Tiyas (T4) çevresinde hava savunma tatbikatı\","
		      "\"body\":\"Bilgilendirme: Tiyas (T4) hava üssü çevresinde bugün 16:00–18:00 UTC arasında "
		      "hava savunma tatbikatı yapılacaktır. İrtifa 6.000 m'ye kadar. Lütfen alındı bildiriniz.\"}") ||
	    ack(d, "IL", "tr-il", id) || ack(d, "AZ", "tr-il", id))
		return -1;

	/* ru-il: Russia notifies Israel in Russian; Israel acknowledges in English. */
	if (demo_post(d, "RU", "/v1/tracks/ru-il/messages", id,
		      "{\"to\":[\"IL\"],\"precedence\":\"immediate\",\"subject\":\"Учения ПВО у Хмеймима\","
		      "\"body\":\"Уведомление: учения ПВО в районе авиабазы Хмеймим с 10:00 до 12:00 UTC, "
		      "высота до 8 000 м. Просим подтвердить получение.\"}") ||
	    ack(d, "IL", "ru-il", id) ||
	    demo_post(d, "IL", "/v1/tracks/ru-il/messages", NULL,
		      "{\"to\":[\"RU\"],\"precedence\":\"routine\",\"subject\":\"Re: air-defence exercise near Hmeimim\","
		      "\"body\":\"Received with thanks. No Israeli flights are planned in that area during the window.\","
		      "\"refs\":[{\"type\":\"message\",\"id\":\"%s\"}]}",
		      id))
		return -1;
	return 0;
}
