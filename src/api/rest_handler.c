// SPDX-License-Identifier: Apache-2.0
/*
 * Routes and bodies of vfkit's REST API (reference section 9.3, decisions of
 * section 13: POST answers 200). Every error carries a JSON body
 * {"error": "..."}; where upstream answers 404 with a text body we send the
 * same words as JSON.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/rest_handler.h"

static void respond_json(struct rest_response *resp, unsigned int status, json_t *doc)
{
	resp->status = status;
	resp->body = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	resp->content_type = REST_JSON_TYPE;
	json_decref(doc);
	if (!resp->body) {
		resp->status = 500;
		resp->content_type = NULL;
	}
}

static bool json_string_valid(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

static void __attribute__((format(printf, 3, 4)))
respond_error(struct rest_response *resp, unsigned int status, const char *fmt, ...)
{
	char msg[REST_MAX_BODY + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Parser messages may quote raw bytes and truncation may split a character. */
	if (!json_string_valid(msg))
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	respond_json(resp, status, json_pack("{s:s}", "error", msg));
}

static void get_state(const struct rest_backend *be, struct rest_response *resp)
{
	struct vm_state_info info;

	be->get_state(be->opaque, &info);
	/* Keys come out sorted, as upstream's encoder emits them. */
	respond_json(resp, 200,
		     json_pack("{s:b,s:b,s:b,s:b,s:b,s:s}", "canHardStop", info.can_hard_stop,
			       "canPause", info.can_pause, "canResume", info.can_resume, "canStart",
			       info.can_start, "canStop", info.can_stop, "state",
			       vm_state_name(info.state)));
}

static void get_inspect(const struct rest_backend *be, struct rest_response *resp)
{
	char *doc = be->inspect_json(be->opaque);

	if (!doc) {
		respond_error(resp, 500, "cannot describe the VM configuration");
		return;
	}
	resp->status = 200;
	resp->body = doc;
	resp->content_type = REST_JSON_TYPE;
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	default:
		return "null";
	}
}

static bool only_whitespace(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]) || s[i] == '\0')
			return false;
	return true;
}

/*
 * Decodes {"state": "<change>"} the way Go's encoding/json fills upstream's
 * struct: keys match case-insensitively, the last match wins, null leaves the
 * value empty, unknown keys and anything after the first value are ignored.
 * Returns the change (possibly "") in *change, owned by *doc; or responds 400.
 */
static bool decode_change(const char *body, size_t len, json_t **doc, const char **change,
			  struct rest_response *resp)
{
	json_error_t jerr;
	const char *key;
	json_t *value;

	*change = "";
	if (only_whitespace(body, len)) {
		respond_error(resp, 400, "EOF");
		return false;
	}
	*doc = json_loadb(body, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
	if (!*doc) {
		respond_error(resp, 400, "%s", jerr.text);
		return false;
	}
	if (json_is_null(*doc))
		return true;
	if (!json_is_object(*doc)) {
		respond_error(resp, 400, "json: cannot unmarshal %s into a state change object",
			      json_kind(*doc));
		return false;
	}
	json_object_foreach(*doc, key, value)
	{
		if (strcasecmp(key, "state"))
			continue;
		if (json_is_string(value))
			*change = json_string_value(value);
		else if (!json_is_null(value)) {
			respond_error(resp, 400,
				      "json: cannot unmarshal %s into field %s of type string",
				      json_kind(value), key);
			return false;
		}
	}
	return true;
}

static const struct {
	const char *name;
	enum vm_request req;
} changes[] = {
	{"Pause", VM_REQ_PAUSE},
	{"Resume", VM_REQ_RESUME},
	{"Stop", VM_REQ_STOP},
	{"HardStop", VM_REQ_HARD_STOP},
};

static void post_state(const struct rest_backend *be, const char *body, size_t len,
		       struct rest_response *resp)
{
	char err[256] = "";
	const char *change;
	json_t *doc = NULL;
	size_t i;

	if (!decode_change(body, len, &doc, &change, resp))
		goto out;
	for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++)
		if (!strcmp(change, changes[i].name))
			break;
	if (i == sizeof(changes) / sizeof(changes[0])) {
		/* 500, not 400: upstream's status for an unknown change. */
		respond_error(resp, 500, "invalid new VMState: %s", change);
		goto out;
	}
	if (be->request_state(be->opaque, changes[i].req, err, sizeof(err)) < 0) {
		respond_error(resp, 500, "%s", err[0] ? err : "state change refused");
		goto out;
	}
	resp->status = 200;
out:
	json_decref(doc);
}

/* Upstream's router redirects a trailing slash when the route exists for the method. */
static bool redirect(const char *method, const char *path, struct rest_response *resp)
{
	bool get = !strcmp(method, "GET");

	if (get && !strcmp(path, "/vm/inspect/"))
		resp->location = "/vm/inspect";
	else if ((get || !strcmp(method, "POST")) && !strcmp(path, "/vm/state/"))
		resp->location = "/vm/state";
	else
		return false;
	resp->status = get ? 301 : 307;
	return true;
}

void rest_handle(const struct rest_backend *be, const char *method, const char *path,
		 const char *body, size_t body_len, bool body_too_large, struct rest_response *resp)
{
	*resp = (struct rest_response){0};
	if (!body)
		body_len = 0;
	if (body_too_large)
		respond_error(resp, 413, "request body larger than %d bytes", REST_MAX_BODY);
	else if (!strcmp(path, "/vm/state") && !strcmp(method, "GET"))
		get_state(be, resp);
	else if (!strcmp(path, "/vm/state") && !strcmp(method, "POST"))
		post_state(be, body ? body : "", body_len, resp);
	else if (!strcmp(path, "/vm/inspect") && !strcmp(method, "GET"))
		get_inspect(be, resp);
	else if (!redirect(method, path, resp))
		respond_error(resp, 404, "404 page not found");
}

void rest_response_free(struct rest_response *resp)
{
	free(resp->body);
	*resp = (struct rest_response){0};
}
