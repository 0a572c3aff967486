#include "server/certs.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include "server/api.h"
#include "server/commit.h"
#include "server/ca.h"
#include "server/input.h"

static const char *cot_address; /* set once at start, before any request */

void certs_configure(const char *address)
{
	cot_address = address;
}

static int load_ca(struct app *a, tq_time now, struct ca **ca)
{
	int created, rc;
	if ((rc = app_need_lock(a))) /* the CA files are made under the lock */
		return rc;
	rc = ca_ensure(a->data_dir, a->origin, now, &created);
	return rc ? rc : ca_load(a->data_dir, ca);
}

/* The user the path names, which must be an operator or viewer (a party's). */
static int target_user(struct req *r, struct store_user *u)
{
	int rc = store_user_get(r->app->store, r->param[0], u);
	if (rc)
		return req_fail(r, rc, rc == TQ_ENOTFOUND ? "no such user" : "store failure");
	if (!u->party[0]) {
		store_user_clear(u);
		struct tq_field_error fe = {"id", "the cell admin has no party and gets no TAK certificate"};
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	return TQ_OK;
}

static int certificate_issue(struct req *r)
{
	struct store_user u;
	struct ca *ca = NULL;
	json_t *body, *payload;
	const char *csr = NULL;
	char *pem = NULL;
	int rc;

	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "csr", 1, 16384, &csr)))
		return rc;
	if ((rc = target_user(r, &u)))
		return rc;
	if ((rc = load_ca(r->app, r->now, &ca))) {
		rc = req_fail(r, rc, "the cell CA is unusable");
		goto done;
	}
	if ((rc = ca_issue_csr(ca, csr, u.id, u.party, r->now, &pem))) {
		struct tq_field_error fe = {"csr", "must be a PEM PKCS#10 request with a valid self-signature"};
		rc = rc == TQ_EINVALID ? req_fail_field(r, rc, &fe) : req_fail(r, rc, "certificate issue failed");
		goto done;
	}
	/* Issuing is recorded in the log, seen by the cell admin only. */
	payload = json_pack("{s:s, s:o}", "id", u.id, "not_after", app_time_json(r->now + CA_CLIENT_VALIDITY_MS));
	rc = payload ? commit_event(r->commit, "user.certificate_issued", NULL, ",@,", payload) : TQ_ENOMEM;
	json_decref(payload);
	if (rc) {
		rc = req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 201, json_pack("{s:s, s:s}", "certificate", pem, "ca", ca_cert_pem(ca)));
done:
	free(pem);
	ca_free(ca);
	store_user_clear(&u);
	return rc;
}

/* ---- data package ---------------------------------------------------------------- */

struct entry {
	char name[160];
	unsigned char *data;
	size_t len;
};

static int zip_entries(const struct entry *e, size_t n, unsigned char **out, size_t *len)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z;
	int rc = TQ_EIO;

	*out = NULL;
	*len = 0;
	zip_error_init(&ze);
	if (!(src = zip_source_buffer_create(NULL, 0, 0, &ze)))
		return TQ_ENOMEM;
	zip_source_keep(src);
	if (!(z = zip_open_from_source(src, ZIP_TRUNCATE, &ze)))
		goto done;
	for (size_t i = 0; i < n; i++) {
		zip_source_t *fs = zip_source_buffer(z, e[i].data, e[i].len, 0);
		if (!fs || zip_file_add(z, e[i].name, fs, ZIP_FL_ENC_UTF_8) < 0) {
			zip_source_free(fs);
			zip_discard(z);
			goto done;
		}
	}
	if (zip_close(z) < 0) {
		zip_discard(z);
		goto done;
	}
	if (zip_source_open(src) < 0)
		goto done;
	if (zip_source_seek(src, 0, SEEK_END) == 0) {
		zip_int64_t size = zip_source_tell(src);
		if (size > 0 && zip_source_seek(src, 0, SEEK_SET) == 0 && (*out = malloc((size_t)size)) &&
		    zip_source_read(src, *out, (zip_uint64_t)size) == size) {
			*len = (size_t)size;
			rc = TQ_OK;
		}
	}
	zip_source_close(src);
	if (rc) {
		free(*out);
		*out = NULL;
	}
done:
	zip_source_free(src);
	zip_error_fini(&ze);
	return rc;
}

static unsigned char *text_dup(const char *fmt_result, size_t *len)
{
	*len = strlen(fmt_result);
	unsigned char *d = malloc(*len + 1);
	if (d)
		memcpy(d, fmt_result, *len + 1);
	return d;
}

int certs_tak_package(struct app *a, const char *user_id, const char *user_name, const char *party, tq_time now,
		      unsigned char **zip, size_t *len)
{
	struct ca *ca = NULL;
	char *cert = NULL, *key = NULL, text[4096], uuid[40];
	struct entry e[4];
	uint8_t rnd[16];
	int rc;

	*zip = NULL;
	*len = 0;
	memset(e, 0, sizeof e);
	if (!cot_address)
		return TQ_ECONFLICT;
	if ((rc = load_ca(a, now, &ca)) || (rc = ca_issue_keypair(ca, user_id, party, NULL, now, &cert, &key)))
		goto done;
	snprintf(e[0].name, sizeof e[0].name, "cert/%s.p12", user_name);
	snprintf(e[1].name, sizeof e[1].name, "cert/truststore-tansiq.p12");
	if ((rc = ca_pkcs12(cert, key, user_name, CA_P12_PASSWORD, &e[0].data, &e[0].len)) ||
	    (rc = ca_pkcs12(ca_cert_pem(ca), NULL, "tansiq cell CA", CA_P12_PASSWORD, &e[1].data, &e[1].len)))
		goto done;
	/* ATAK's preference file: one TLS stream to the gateway, the keystores above. */
	snprintf(e[2].name, sizeof e[2].name, "cert/tansiq.pref");
	snprintf(text, sizeof text,
		 "<?xml version='1.0' standalone='yes'?>\n<preferences>\n"
		 "  <preference version=\"1\" name=\"cot_streams\">\n"
		 "    <entry key=\"count\" class=\"class java.lang.Integer\">1</entry>\n"
		 "    <entry key=\"description0\" class=\"class java.lang.String\">tansiq cell</entry>\n"
		 "    <entry key=\"enabled0\" class=\"class java.lang.Boolean\">true</entry>\n"
		 "    <entry key=\"connectString0\" class=\"class java.lang.String\">%s:ssl</entry>\n"
		 "  </preference>\n"
		 "  <preference version=\"1\" name=\"com.atakmap.app_preferences\">\n"
		 "    <entry key=\"displayServerConnectionWidget\" class=\"class java.lang.Boolean\">true</entry>\n"
		 "    <entry key=\"caLocation\" class=\"class java.lang.String\">cert/truststore-tansiq.p12</entry>\n"
		 "    <entry key=\"caPassword\" class=\"class java.lang.String\">%s</entry>\n"
		 "    <entry key=\"certificateLocation\" class=\"class java.lang.String\">cert/%s.p12</entry>\n"
		 "    <entry key=\"clientPassword\" class=\"class java.lang.String\">%s</entry>\n"
		 "  </preference>\n</preferences>\n",
		 cot_address, CA_P12_PASSWORD, user_name, CA_P12_PASSWORD);
	if (!(e[2].data = text_dup(text, &e[2].len))) {
		rc = TQ_ENOMEM;
		goto done;
	}
	randombytes_buf(rnd, sizeof rnd);
	rnd[6] = (rnd[6] & 0x0f) | 0x40;
	rnd[8] = (rnd[8] & 0x3f) | 0x80;
	snprintf(uuid, sizeof uuid, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", rnd[0],
		 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10], rnd[11], rnd[12],
		 rnd[13], rnd[14], rnd[15]);
	snprintf(e[3].name, sizeof e[3].name, "MANIFEST/manifest.xml");
	snprintf(text, sizeof text,
		 "<MissionPackageManifest version=\"2\">\n  <Configuration>\n"
		 "    <Parameter name=\"uid\" value=\"%s\"/>\n"
		 "    <Parameter name=\"name\" value=\"tansiq-%s\"/>\n"
		 "    <Parameter name=\"onReceiveDelete\" value=\"true\"/>\n  </Configuration>\n  <Contents>\n"
		 "    <Content ignore=\"false\" zipEntry=\"%s\"/>\n"
		 "    <Content ignore=\"false\" zipEntry=\"%s\"/>\n"
		 "    <Content ignore=\"false\" zipEntry=\"%s\"/>\n  </Contents>\n</MissionPackageManifest>\n",
		 uuid, user_name, e[2].name, e[1].name, e[0].name);
	if (!(e[3].data = text_dup(text, &e[3].len))) {
		rc = TQ_ENOMEM;
		goto done;
	}
	rc = zip_entries(e, 4, zip, len);
done:
	for (size_t i = 0; i < 4; i++)
		free(e[i].data);
	free(cert);
	if (key) {
		sodium_memzero(key, strlen(key));
		free(key);
	}
	ca_free(ca);
	return rc;
}

static int tak_package(struct req *r)
{
	struct store_user u;
	unsigned char *zip;
	size_t len;
	int rc;
	if ((rc = target_user(r, &u)))
		return rc;
	/* User names are [^ ]{1,64}; in a zip entry name only safe characters are kept. */
	char name[72];
	size_t i;
	for (i = 0; u.name[i] && i < sizeof name - 1; i++) {
		char ch = u.name[i];
		name[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
				  ch == '-' || ch == '_' || ch == '.'
			  ? ch
			  : '_';
	}
	name[i] = '\0';
	rc = certs_tak_package(r->app, u.id, name, u.party, r->now, &zip, &len);
	store_user_clear(&u);
	if (rc == TQ_ECONFLICT)
		return req_fail(r, rc, "the TAK gateway is not enabled on this server (--cot-listen)");
	if (rc)
		return req_fail(r, rc, "the data package could not be made");
	req_text(r, 200, "application/zip", (char *)zip, len);
	return TQ_OK;
}

const struct route api_cert_routes[] = {
	{"POST", "/v1/users/:id/certificate", certificate_issue, ROUTE_WRITE | ROUTE_STAGED | ROUTE_ADMIN},
	{"GET", "/v1/users/:id/tak-package", tak_package, ROUTE_ADMIN},
	{NULL, NULL, NULL, 0},
};
