/*
 * problem — the status and detail a failed request answers (RFC 9457
 * problem+json, written by http.c) where they depend on more than the error
 * code: the state of the database. Pure: the caller asks the store.
 *
 * A store failure while the store reports the database unreachable
 * (store_available() == 0) is a 503 with Retry-After, whatever error code the
 * handler turned it into, and its detail says so: the client should retry.
 * Every other failure keeps the handler's status and detail, 503s included
 * (a router's "other nodes keep writing; retry shortly" is not a database
 * outage).
 */
#ifndef TQ_PROBLEM_H
#define TQ_PROBLEM_H

#include <stddef.h>

#define PROBLEM_DATABASE_UNREACHABLE "the database is unreachable; retry shortly"

/* For a request that failed with *err, whose status would be status
 * (req_status_of) and whose detail is the handler's (detail, len bytes):
 * returns the status to answer. When store_down and the failure is
 * TQ_EUNAVAIL or would be a 500, *err becomes TQ_EUNAVAIL, detail
 * PROBLEM_DATABASE_UNREACHABLE and the status 503; otherwise nothing changes. */
int problem_status(int status, int *err, int store_down, char *detail, size_t len);

#endif
