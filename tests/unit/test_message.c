/* core/message: every transition and every refusal of the hotline workflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/message.h"
#include "wf_fixture.h"

struct fx_state {
	struct vis_track t;
	struct track_settings s;
};

static int setup(void **state)
{
	struct fx_state *f = calloc(1, sizeof *f);
	fix_track(&f->t);
	settings_defaults(&f->s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static int create(struct fx_state *f, const char *sender, const char *to_json, const char *prec, int ack,
		  struct message *m, struct effects *fx, struct tq_field_error *fe)
{
	json_t *to = json_loads(to_json, JSON_DECODE_ANY, NULL);
	struct message_draft d = {"msg_1", "il-sy", 7, to, prec, "subject", "body", NULL, ack};
	struct actor by = fix_actor(sender);
	int rc = message_create(&f->t, &f->s, &d, &by, FIX_NOW, m, fx, fe);
	json_decref(to);
	return rc;
}

static void flash_to_one_party_awaits_its_ack_with_a_deadline(void **state)
{
	struct fx_state *f = *state;
	struct message m;
	struct effects fx;
	struct tq_field_error fe;
	assert_int_equal(create(f, "IL", "[\"SY\"]", "flash", -1, &m, &fx, &fe), TQ_OK);
	assert_true(m.ack_required);
	assert_int_equal(m.seq, 7);
	assert_int_equal(m.addressees.n, 1);
	assert_string_equal(m.awaiting.p[0], "SY");
	assert_int_equal(m.ack_due, FIX_NOW + 5 * FIX_MIN);
	assert_int_equal(fx.nev, 1);
	assert_string_equal(fx.ev[0].type, "message.created");
	fix_check_types(&fx);
	assert_false(fx.ev[0].oversight);
	const struct effects_deadline *d = effects_find_deadline(&fx, MESSAGE_ACK_KIND);
	assert_non_null(d);
	assert_false(d->clear);
	assert_int_equal(d->due, FIX_NOW + 5 * FIX_MIN);
	assert_string_equal(message_status(&m), "open");
	message_free(&m);
}

static void routine_needs_no_ack_by_default_and_sets_no_deadline(void **state)
{
	struct fx_state *f = *state;
	struct message m;
	struct effects fx;
	struct tq_field_error fe;
	assert_int_equal(create(f, "IL", "[\"SY\"]", "routine", -1, &m, &fx, &fe), TQ_OK);
	assert_false(m.ack_required);
	assert_int_equal(m.awaiting.n, 0);
	assert_int_equal(m.addressees.n, 1);
	assert_int_equal(m.ack_due, TQ_TIME_MIN);
	assert_int_equal(fx.ndl, 0);
	assert_string_equal(message_status(&m), "complete");
	message_free(&m);
	/* ... unless asked for; and a flash may waive it. */
	assert_int_equal(create(f, "IL", "[\"SY\"]", "routine", 1, &m, &fx, &fe), TQ_OK);
	assert_int_equal(effects_find_deadline(&fx, MESSAGE_ACK_KIND)->due, FIX_NOW + 86400000LL);
	message_free(&m);
	assert_int_equal(create(f, "IL", "[\"SY\"]", "flash", 0, &m, &fx, &fe), TQ_OK);
	assert_int_equal(fx.ndl, 0);
	message_free(&m);
}

static void to_all_addresses_every_reader_but_the_sender(void **state)
{
	struct fx_state *f = *state;
	struct message m;
	struct effects fx;
	struct tq_field_error fe;
	assert_int_equal(create(f, "IL", "\"all\"", "immediate", -1, &m, &fx, &fe), TQ_OK);
	assert_true(m.to_all);
	/* SY, US, RU, AZ (host reads messages); not IL (sender), not TR (observer). */
	assert_int_equal(m.addressees.n, 4);
	assert_true(vis_parties_has(&m.addressees, "AZ"));
	assert_false(vis_parties_has(&m.addressees, "TR"));
	assert_false(vis_parties_has(&m.addressees, "IL"));
	message_free(&m);
}

static void message_to_oneself_only_has_no_deadline(void **state)
{
	struct fx_state *f = *state;
	struct message m;
	struct effects fx;
	struct tq_field_error fe;
	assert_int_equal(create(f, "IL", "[\"IL\"]", "flash", -1, &m, &fx, &fe), TQ_OK);
	assert_int_equal(m.addressees.n, 0);
	assert_int_equal(fx.ndl, 0);
	message_free(&m);
}

static void refusals_on_create(void **state)
{
	struct fx_state *f = *state;
	struct message m;
	struct effects fx;
	struct tq_field_error fe;
	static const struct {
		const char *sender, *to, *prec;
		int rc;
		const char *field;
	} cases[] = {
		{"AZ", "[\"SY\"]", "flash", TQ_EFORBIDDEN, ""},      /* a host does not send */
		{"TR", "[\"SY\"]", "flash", TQ_EFORBIDDEN, ""},      /* nor an observer */
		{"XX", "[\"SY\"]", "flash", TQ_EFORBIDDEN, ""},      /* nor a non-member */
		{"IL", "null", "flash", TQ_EMALFORMED, "to"},
		{"IL", "3", "flash", TQ_EMALFORMED, "to"},
		{"IL", "\"some\"", "flash", TQ_EINVALID, "to"},
		{"IL", "[]", "flash", TQ_EINVALID, "to"},
		{"IL", "[5]", "flash", TQ_EMALFORMED, "to[0]"},
		{"IL", "[\"SY\",\"XX\"]", "flash", TQ_EINVALID, "to[1]"},
		{"IL", "[\"TR\"]", "flash", TQ_EINVALID, "to[0]"},
		{"IL", "[\"SY\",\"SY\"]", "flash", TQ_EINVALID, "to[1]"},
		{"IL", "[\"SY\"]", "urgent", TQ_EINVALID, "precedence"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		memset(&fe, 0, sizeof fe);
		assert_int_equal(create(f, cases[i].sender, cases[i].to, cases[i].prec, -1, &m, &fx, &fe), cases[i].rc);
		assert_string_equal(fe.field, cases[i].field);
	}
	/* Empty subject and body. */
	struct message_draft d = {"msg_1", "il-sy", 1, NULL, "routine", "", "b", NULL, -1};
	json_t *to = json_string("all");
	struct actor by = fix_actor("IL");
	d.to = to;
	assert_int_equal(message_create(&f->t, &f->s, &d, &by, FIX_NOW, &m, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "subject");
	d.subject = "s", d.body = "";
	assert_int_equal(message_create(&f->t, &f->s, &d, &by, FIX_NOW, &m, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "body");
	json_decref(to);
}

static void ack_by_the_last_addressee_clears_the_deadline(void **state)
{
	struct fx_state *f = *state;
	struct message m;
	struct effects fx;
	struct tq_field_error fe;
	assert_int_equal(create(f, "IL", "[\"SY\",\"US\"]", "flash", -1, &m, &fx, &fe), TQ_OK);
	assert_int_equal(message_ack(&m, "SY", FIX_NOW + 1000, &fx, &fe), TQ_OK);
	assert_string_equal(fx.ev[0].type, "message.acked");
	fix_check_types(&fx);
	assert_int_equal(fx.ndl, 0);
	assert_int_equal(m.stamp.version, 2);
	assert_int_equal(m.stamp.updated_at, FIX_NOW + 1000);
	assert_int_equal(message_ack(&m, "US", FIX_NOW + 2000, &fx, &fe), TQ_OK);
	assert_true(effects_find_deadline(&fx, MESSAGE_ACK_KIND)->clear);
	assert_int_equal(m.awaiting.n, 0);
	assert_int_equal(m.acks.n, 2);
	assert_string_equal(message_status(&m), "complete");
	json_t *j = message_to_json(&m);
	json_t *acks = json_object_get(j, "acknowledgements");
	assert_int_equal(json_array_size(acks), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(acks, 1), "at")), "2026-03-01T10:00:02Z");
	json_decref(j);
	message_free(&m);
}

static void ack_refusals(void **state)
{
	struct fx_state *f = *state;
	struct message m;
	struct effects fx;
	struct tq_field_error fe;
	assert_int_equal(create(f, "IL", "[\"SY\"]", "flash", -1, &m, &fx, &fe), TQ_OK);
	assert_int_equal(message_ack(&m, "IL", FIX_NOW, &fx, &fe), TQ_EFORBIDDEN);  /* the sender */
	assert_int_equal(message_ack(&m, "RU", FIX_NOW, &fx, &fe), TQ_EFORBIDDEN);  /* sees it, not addressed */
	assert_int_equal(message_ack(&m, "SY", FIX_NOW, &fx, &fe), TQ_OK);
	assert_int_equal(message_ack(&m, "SY", FIX_NOW, &fx, &fe), TQ_ECONFLICT);   /* rule 7 */
	assert_int_equal(fx.nev, 0);
	assert_int_equal(m.stamp.version, 2);
	message_free(&m);
}

static void deadline_escalates_once_while_someone_is_awaited(void **state)
{
	struct fx_state *f = *state;
	struct message m;
	struct effects fx;
	struct tq_field_error fe;
	tq_time due = FIX_NOW + 5 * FIX_MIN;
	assert_int_equal(create(f, "IL", "[\"SY\"]", "flash", -1, &m, &fx, &fe), TQ_OK);
	message_ack_due(&m, due, &fx);
	assert_int_equal(fx.nev, 1);
	assert_string_equal(fx.ev[0].type, "message.escalated");
	fix_check_types(&fx);
	assert_true(fx.ev[0].oversight);
	assert_true(m.escalated);
	assert_int_equal(m.escalated_at, due);
	assert_string_equal(message_status(&m), "escalated");
	message_ack_due(&m, due + 1, &fx);
	assert_int_equal(fx.nev, 0);
	/* A late ack is recorded and reaches the overseers too; the escalation stands. */
	assert_int_equal(message_ack(&m, "SY", due + 2, &fx, &fe), TQ_OK);
	assert_true(fx.ev[0].oversight);
	assert_true(m.escalated);
	message_free(&m);
	/* Nothing to escalate once everyone has acknowledged. */
	assert_int_equal(create(f, "IL", "[\"SY\"]", "flash", -1, &m, &fx, &fe), TQ_OK);
	assert_int_equal(message_ack(&m, "SY", FIX_NOW, &fx, &fe), TQ_OK);
	message_ack_due(&m, due, &fx);
	assert_int_equal(fx.nev, 0);
	assert_false(m.escalated);
	message_free(&m);
}

static void json_round_trip(void **state)
{
	struct fx_state *f = *state;
	struct message m, back;
	struct effects fx;
	struct tq_field_error fe;
	assert_int_equal(create(f, "IL", "[\"SY\",\"RU\"]", "flash", -1, &m, &fx, &fe), TQ_OK);
	assert_int_equal(message_ack(&m, "RU", FIX_NOW + 500, &fx, &fe), TQ_OK);
	json_t *j = message_to_json(&m);
	assert_string_equal(json_string_value(json_object_get(j, "subject")), "subject");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "created_by"), "party")), "IL");
	assert_string_equal(json_string_value(json_object_get(j, "ack_due")), "2026-03-01T10:05:00Z");
	assert_int_equal(message_from_json(j, &back), TQ_OK);
	json_t *again = message_to_json(&back);
	assert_true(json_equal(j, again));
	assert_int_equal(back.awaiting.n, 1);
	assert_string_equal(back.awaiting.p[0], "SY");
	message_free(&back);
	json_object_del(again, "seq");
	assert_int_equal(message_from_json(again, &back), TQ_EINVALID);
	json_decref(j), json_decref(again);
	message_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flash_to_one_party_awaits_its_ack_with_a_deadline),
		cmocka_unit_test(routine_needs_no_ack_by_default_and_sets_no_deadline),
		cmocka_unit_test(to_all_addresses_every_reader_but_the_sender),
		cmocka_unit_test(message_to_oneself_only_has_no_deadline),
		cmocka_unit_test(refusals_on_create),
		cmocka_unit_test(ack_by_the_last_addressee_clears_the_deadline),
		cmocka_unit_test(ack_refusals),
		cmocka_unit_test(deadline_escalates_once_while_someone_is_awaited),
		cmocka_unit_test(json_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
