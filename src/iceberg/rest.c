#include "iceberg/rest.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/rest_auth.h"
#include "iceberg/rest_schema_json.h"
#include "net/http_client.h"
#include "util/buf.h"

#define MAX_RESPONSE (32u << 20) /* table metadata grows with snapshots */

struct rest_catalog {
    char scheme[8];
    char authority[512]; /* as in the uri */
    char host[512];      /* Host header: lowercase, default port dropped */
    char base_path[1024]; /* percent-encoded path of the uri, no trailing '/' */
    char prefix[1024];    /* percent-encoded, no slashes at the ends; "" = none */
    char warehouse[512];
    rest_props_t props;
    rest_auth_t *auth;
};

/* ---- properties ---- */

const char *rest_props_get(const rest_props_t *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].key, key) == 0)
            return p->v[i].value;
    return NULL;
}

void rest_props_free(rest_props_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        explicit_bzero(p->v[i].value, strlen(p->v[i].value)); /* may hold vended secrets */
        free(p->v[i].key);
        free(p->v[i].value);
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

static int props_set(rest_props_t *p, const char *k, const char *v)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].key, k) == 0) {
            char *nv = strdup(v);
            if (!nv)
                return -1;
            free(p->v[i].value);
            p->v[i].value = nv;
            return 0;
        }
    rest_kv_t *nvv = realloc(p->v, (p->n + 1) * sizeof *nvv);
    if (!nvv)
        return -1;
    p->v = nvv;
    char *nk = strdup(k), *nv = strdup(v);
    if (!nk || !nv) {
        free(nk);
        free(nv);
        return -1;
    }
    p->v[p->n++] = (rest_kv_t){nk, nv};
    return 0;
}

/* Merges a JSON object of strings into p; what names where it came from. */
static int props_merge(rest_props_t *p, json_t *obj, const char *what, err_t *err)
{
    if (!obj || json_is_null(obj))
        return 0;
    if (!json_is_object(obj))
        return err_set(err, ERR_UNAVAILABLE, "%s is not an object", what);
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        if (!json_is_string(v))
            return err_set(err, ERR_UNAVAILABLE, "%s.%.100s is not a string", what, k);
        if (props_set(p, k, json_string_value(v)))
            return err_set(err, ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- names and paths ---- */

int rest_ns_from_dotted(rest_ns_t *ns, const char *dotted, err_t *err)
{
    memset(ns, 0, sizeof *ns);
    const char *p = dotted;
    while (1) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || n >= sizeof ns->parts[0] || ns->nparts >= REST_NS_MAX_PARTS)
            return err_set(err, ERR_CONFIG, "ICEBERG_NAMESPACE '%.200s': want 1 to %d non-empty parts separated by '.'",
                           dotted, REST_NS_MAX_PARTS);
        memcpy(ns->parts[ns->nparts], p, n);
        ns->parts[ns->nparts++][n] = 0;
        if (!dot)
            return 0;
        p = dot + 1;
    }
}

static void ns_display(const rest_ns_t *ns, size_t nparts, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < nparts && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "." : "", ns->parts[i]);
}

/* The namespace path segment: parts joined by 0x1F, percent-encoded (0x1F -> %1F). */
static int ns_segment(buf_t *b, const rest_ns_t *ns, size_t nparts)
{
    for (size_t i = 0; i < nparts; i++) {
        if (i && buf_append_str(b, "%1F"))
            return -1;
        if (sigv4_uri_encode(b, ns->parts[i], strlen(ns->parts[i]), 0))
            return -1;
    }
    return 0;
}

/* Percent-encodes s except unreserved characters, '/' and existing %XX escapes. */
static int encode_keep(buf_t *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '/' || (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]))) {
            if (buf_append(b, p, 1))
                return -1;
        } else if (sigv4_uri_encode(b, p, 1, 0)) {
            return -1;
        }
    }
    return 0;
}

static int parse_uri(rest_catalog_t *c, const char *uri, err_t *err)
{
    const char *sep = strstr(uri, "://");
    if (!sep || (size_t)(sep - uri) >= sizeof c->scheme)
        return err_set(err, ERR_CONFIG, "ICEBERG_REST_URI '%.200s': want http[s]://host[:port][/path]", uri);
    snprintf(c->scheme, sizeof c->scheme, "%.*s", (int)(sep - uri), uri);
    for (char *q = c->scheme; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    if (strcmp(c->scheme, "http") && strcmp(c->scheme, "https"))
        return err_set(err, ERR_CONFIG, "ICEBERG_REST_URI '%.200s': want http or https", uri);
    const char *a = sep + 3, *slash = strchr(a, '/');
    size_t al = slash ? (size_t)(slash - a) : strlen(a);
    if (al == 0 || al >= sizeof c->authority || memchr(a, '?', al) || memchr(a, '@', al))
        return err_set(err, ERR_CONFIG, "ICEBERG_REST_URI '%.200s': bad host", uri);
    snprintf(c->authority, sizeof c->authority, "%.*s", (int)al, a);
    snprintf(c->host, sizeof c->host, "%s", c->authority);
    for (char *q = c->host; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    size_t hl = strlen(c->host);
    const char *dport = strcmp(c->scheme, "https") == 0 ? ":443" : ":80";
    if (hl > strlen(dport) && strcmp(c->host + hl - strlen(dport), dport) == 0)
        c->host[hl - strlen(dport)] = 0;
    buf_t p = {0};
    if (slash && (strchr(slash, '?') || strchr(slash, '#'))) {
        return err_set(err, ERR_CONFIG, "ICEBERG_REST_URI '%.200s': no query or fragment, please", uri);
    }
    if (slash && encode_keep(&p, slash)) {
        buf_free(&p);
        return err_set(err, ERR_NOMEM, "out of memory");
    }
    size_t pl = p.len;
    while (pl > 0 && p.data[pl - 1] == '/')
        pl--;
    if (pl >= sizeof c->base_path) {
        buf_free(&p);
        return err_set(err, ERR_CONFIG, "ICEBERG_REST_URI: path too long");
    }
    if (pl)
        memcpy(c->base_path, p.data, pl);
    c->base_path[pl] = 0;
    buf_free(&p);
    return 0;
}

/* ---- one exchange ---- */

typedef struct {
    const char *method;
    buf_t path;            /* encoded, from the root */
    sigv4_param_t params[2];
    size_t nparams;
    const buf_t *body;     /* JSON, or NULL */
    char what[600];        /* "POST /v1/.../tables" for messages */
} call_t;

/* path = base_path + "/v1/" + [prefix "/"] + rest (rest already encoded). */
static int call_path(rest_catalog_t *c, call_t *k, int with_prefix, const char *rest)
{
    buf_clear(&k->path);
    if (buf_append_str(&k->path, c->base_path) || buf_append_str(&k->path, "/v1/"))
        return -1;
    if (with_prefix && c->prefix[0] && (buf_append_str(&k->path, c->prefix) || buf_append_str(&k->path, "/")))
        return -1;
    if (buf_append_str(&k->path, rest) || buf_append(&k->path, "", 1))
        return -1;
    k->path.len--;
    snprintf(k->what, sizeof k->what, "iceberg %s %.500s", k->method, (const char *)k->path.data);
    return 0;
}

/* Sends k; 0 when an answer arrived (any status), -1 when none did. A 401 under OAuth2 gets
 * one retry with a fresh token. */
static int exchange(rest_catalog_t *c, const call_t *k, http_response_t *resp, err_t *err)
{
    buf_t url = {0};
    int rc = buf_printf(&url, "%s://%s%s", c->scheme, c->authority, (const char *)k->path.data);
    for (size_t i = 0; i < k->nparams && rc == 0; i++) {
        rc |= buf_append_str(&url, i ? "&" : "?");
        rc |= sigv4_uri_encode(&url, k->params[i].name, strlen(k->params[i].name), 0);
        rc |= buf_append_str(&url, "=");
        rc |= sigv4_uri_encode(&url, k->params[i].value, strlen(k->params[i].value), 0);
    }
    rc |= buf_append(&url, "", 1);
    if (rc) {
        buf_free(&url);
        return err_set(err, ERR_NOMEM, "%s: out of memory", k->what);
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        rest_wire_t w = {
            .method = k->method, .host = c->host, .path = (const char *)k->path.data, .params = k->params,
            .nparams = k->nparams, .content_type = k->body ? "application/json" : NULL,
            .body = k->body ? k->body->data : NULL, .body_len = k->body ? k->body->len : 0,
        };
        rest_auth_headers_t ah;
        if (rest_auth_apply(c->auth, &w, &ah, err)) {
            rest_auth_headers_free(&ah);
            buf_free(&url);
            return err_prefix(err, "%s", k->what);
        }
        http_header_t h[12];
        size_t nh = 0;
        h[nh++] = (http_header_t){"Host", c->host};
        h[nh++] = (http_header_t){"Accept", "application/json"};
        /* ask for vended credentials for the table's data files (DESIGN §7) */
        h[nh++] = (http_header_t){"X-Iceberg-Access-Delegation", "vended-credentials"};
        if (k->body)
            h[nh++] = (http_header_t){"Content-Type", "application/json"};
        for (size_t i = 0; i < ah.n; i++)
            h[nh++] = ah.h[i];
        http_request_t rq = {.method = k->method, .url = (const char *)url.data, .headers = h, .nheaders = nh,
                             .body = w.body, .body_len = w.body_len, .max_response = MAX_RESPONSE};
        rc = http_request(&rq, resp, err);
        rest_auth_headers_free(&ah);
        if (rc) {
            err_prefix(err, "%s", k->what);
            break;
        }
        if (resp->status == 401 && rest_auth_mode(c->auth) == REST_AUTH_OAUTH2 && attempt == 0) {
            rest_auth_invalidate(c->auth);
            continue;
        }
        break;
    }
    buf_free(&url);
    return rc;
}

/* The error of a non-2xx answer: "WHAT: HTTP 409 AlreadyExistsException: message". 5xx and 429
 * are ERR_UNAVAILABLE (may pass), the rest ERR_IO. Returns -1. */
static int answer_error(const call_t *k, http_response_t *resp, err_t *err)
{
    const char *text = http_response_text(resp);
    json_error_t je;
    json_t *j = text ? json_loadb(text, resp->body.len, 0, &je) : NULL;
    json_t *e = j && json_is_object(j) ? json_object_get(j, "error") : NULL;
    const char *type = e ? json_string_value(json_object_get(e, "type")) : NULL;
    const char *msg = e ? json_string_value(json_object_get(e, "message")) : NULL;
    char clean[400] = "";
    size_t o = 0;
    /* the catalog's text, bounded and without control characters */
    for (const char *p = msg ? msg : ""; *p && o + 1 < sizeof clean; p++)
        clean[o++] = (unsigned char)*p < 0x20 ? ' ' : *p;
    clean[o] = 0;
    err_code_t code = resp->status >= 500 || resp->status == 429 ? ERR_UNAVAILABLE : ERR_IO;
    if (type || msg)
        err_set(err, code, "%s: HTTP %ld %.100s%s%s", k->what, resp->status, type ? type : "(no error type)",
                msg ? ": " : "", clean);
    else
        err_set(err, code, "%s: HTTP %ld (no Iceberg error envelope in the answer)", k->what, resp->status);
    json_decref(j);
    return -1;
}

/* The answer's body as a JSON object; NULL with err set. */
static json_t *answer_object(const call_t *k, http_response_t *resp, err_t *err)
{
    const char *text = http_response_text(resp);
    if (!text) {
        err_set(err, ERR_NOMEM, "%s: out of memory", k->what);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(text, resp->body.len, 0, &je);
    if (!j) {
        err_set(err, ERR_UNAVAILABLE, "%s: HTTP %ld with a body that is not JSON (line %d: %.100s)", k->what,
                resp->status, je.line, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        err_set(err, ERR_UNAVAILABLE, "%s: HTTP %ld with a body that is not a JSON object", k->what, resp->status);
        return NULL;
    }
    return j;
}

/* ---- catalog ---- */

rest_catalog_t *rest_catalog_open(const config_t *cfg, err_t *err)
{
    rest_catalog_t *c = calloc(1, sizeof *c);
    if (!c) {
        err_set(err, ERR_NOMEM, "out of memory");
        return NULL;
    }
    call_t k = {.method = "GET"};
    http_response_t resp = {0};
    json_t *j = NULL;
    snprintf(c->warehouse, sizeof c->warehouse, "%s", cfg->iceberg_warehouse);
    if (parse_uri(c, cfg->iceberg_rest_uri, err))
        goto fail;
    char base[2048];
    snprintf(base, sizeof base, "%s://%s%s", c->scheme, c->authority, c->base_path);
    if (!(c->auth = rest_auth_new(cfg, c->host, base, err)))
        goto fail;
    if (c->warehouse[0])
        k.params[k.nparams++] = (sigv4_param_t){"warehouse", c->warehouse};
    if (call_path(c, &k, 0, "config")) {
        err_set(err, ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (exchange(c, &k, &resp, err))
        goto fail;
    if (resp.status != 200) {
        answer_error(&k, &resp, err);
        goto fail;
    }
    if (!(j = answer_object(&k, &resp, err)))
        goto fail;
    /* defaults < client settings < overrides */
    if (props_merge(&c->props, json_object_get(j, "defaults"), "defaults", err) ||
        props_set(&c->props, "uri", cfg->iceberg_rest_uri) ||
        (c->warehouse[0] && props_set(&c->props, "warehouse", c->warehouse)) ||
        props_merge(&c->props, json_object_get(j, "overrides"), "overrides", err)) {
        if (err->code == ERR_NONE)
            err_set(err, ERR_NOMEM, "out of memory");
        err_prefix(err, "%s", k.what);
        goto fail;
    }
    const char *uri = rest_props_get(&c->props, "uri");
    if (uri && strcmp(uri, cfg->iceberg_rest_uri) != 0 && parse_uri(c, uri, err)) {
        err_prefix(err, "%s: the catalog's uri override", k.what);
        goto fail;
    }
    const char *prefix = rest_props_get(&c->props, "prefix");
    if (prefix) {
        buf_t pb = {0};
        while (*prefix == '/')
            prefix++;
        if (encode_keep(&pb, prefix) || buf_append(&pb, "", 1)) {
            buf_free(&pb);
            err_set(err, ERR_NOMEM, "out of memory");
            goto fail;
        }
        size_t pl = pb.len - 1;
        while (pl > 0 && pb.data[pl - 1] == '/')
            pl--;
        if (pl >= sizeof c->prefix) {
            buf_free(&pb);
            err_set(err, ERR_UNAVAILABLE, "%s: prefix too long", k.what);
            goto fail;
        }
        memcpy(c->prefix, pb.data, pl);
        c->prefix[pl] = 0;
        buf_free(&pb);
    }
    if (rest_auth_set_token_endpoint(c->auth, rest_props_get(&c->props, "oauth2-server-uri"), err))
        goto fail;
    json_decref(j);
    http_response_free(&resp);
    buf_free(&k.path);
    return c;
fail:
    json_decref(j);
    http_response_free(&resp);
    buf_free(&k.path);
    rest_catalog_close(c);
    return NULL;
}

void rest_catalog_close(rest_catalog_t *c)
{
    if (!c)
        return;
    rest_auth_free(c->auth);
    rest_props_free(&c->props);
    free(c);
}

const char *rest_catalog_prefix(const rest_catalog_t *c) { return c->prefix; }
const char *rest_catalog_auth(const rest_catalog_t *c) { return rest_auth_describe(c->auth); }
const rest_props_t *rest_catalog_props(const rest_catalog_t *c) { return &c->props; }

/* ---- namespaces ---- */

/* k's path for {prefix}/namespaces/{ns}[/tables[/{table}]]: tables 0 none, 1 the collection, 2
 * one table. */
static int ns_path(rest_catalog_t *c, call_t *k, const rest_ns_t *ns, int tables, const char *table)
{
    buf_t rest = {0};
    int rc = buf_append_str(&rest, "namespaces/") | ns_segment(&rest, ns, ns->nparts);
    if (tables)
        rc |= buf_append_str(&rest, "/tables");
    if (tables == 2)
        rc |= buf_append_str(&rest, "/") | sigv4_uri_encode(&rest, table, strlen(table), 0);
    rc |= buf_append(&rest, "", 1);
    if (rc == 0)
        rc = call_path(c, k, 1, (const char *)rest.data);
    buf_free(&rest);
    return rc;
}

static int table_path(rest_catalog_t *c, call_t *k, const rest_ns_t *ns, const char *table)
{
    return ns_path(c, k, ns, table ? 2 : 1, table);
}

int rest_namespace_exists(rest_catalog_t *c, const rest_ns_t *ns, err_t *err)
{
    call_t k = {.method = "GET"};
    http_response_t resp = {0};
    int rc = -1;
    if (ns_path(c, &k, ns, 0, NULL)) {
        err_set(err, ERR_NOMEM, "out of memory");
    } else if (exchange(c, &k, &resp, err) == 0) {
        if (resp.status == 200) {
            rc = 1;
        } else {
            answer_error(&k, &resp, err);
            rc = resp.status == 404 ? 0 : -1;
        }
    }
    buf_free(&k.path);
    http_response_free(&resp);
    return rc;
}

/* POST namespaces for the first nparts parts; *status = the HTTP status. */
static int create_ns(rest_catalog_t *c, const rest_ns_t *ns, size_t nparts, long *status, err_t *err)
{
    call_t k = {.method = "POST"};
    http_response_t resp = {0};
    buf_t body = {0};
    json_t *o = json_object(), *arr = json_array();
    int rc = -1;
    json_object_set_new(o, "namespace", arr);
    for (size_t i = 0; i < nparts; i++)
        json_array_append_new(arr, json_string(ns->parts[i]));
    json_object_set_new(o, "properties", json_object());
    if (!o || !arr || iceberg_json_text(&body, o) || call_path(c, &k, 1, "namespaces")) {
        err_set(err, ERR_NOMEM, "out of memory");
        goto out;
    }
    k.body = &body;
    if (exchange(c, &k, &resp, err))
        goto out;
    *status = resp.status;
    if (resp.status == 200 || resp.status == 409)
        rc = 0;
    else
        answer_error(&k, &resp, err);
out:
    json_decref(o);
    buf_free(&body);
    buf_free(&k.path);
    http_response_free(&resp);
    return rc;
}

int rest_ensure_namespace(rest_catalog_t *c, const rest_ns_t *ns, err_t *err)
{
    long st = 0;
    char disp[2048];
    ns_display(ns, ns->nparts, disp, sizeof disp);
    if (create_ns(c, ns, ns->nparts, &st, err) == 0)
        return 0;
    if (st != 404 || ns->nparts < 2)
        return err_prefix(err, "namespace '%s'", disp);
    /* a parent is missing: create the levels in order */
    for (size_t n = 1; n <= ns->nparts; n++)
        if (create_ns(c, ns, n, &st, err))
            return err_prefix(err, "namespace '%s'", disp);
    return 0;
}

/* ---- tables ---- */

static int64_t int_or(json_t *o, const char *k, int64_t def)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

static int copy_str(json_t *o, const char *k, char *out, size_t cap, int required, err_t *err)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) {
        out[0] = 0;
        return required ? err_set(err, ERR_UNAVAILABLE, "metadata.%s is missing", k) : 0;
    }
    if (!json_is_string(v))
        return err_set(err, ERR_UNAVAILABLE, "metadata.%s is not a string", k);
    if (strlen(json_string_value(v)) >= cap)
        return err_set(err, ERR_UNAVAILABLE, "metadata.%s is longer than %zu bytes", k, cap - 1);
    snprintf(out, cap, "%s", json_string_value(v));
    return 0;
}

static int need_int(json_t *o, const char *k, int64_t *out, err_t *err)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        return err_set(err, ERR_UNAVAILABLE, "metadata.%s is %s", k, v ? "not an integer" : "missing");
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* An optional integer member: absent or null gives def; any other type is an error. */
static int opt_int(json_t *o, const char *k, int64_t def, int64_t *out, const char *what, size_t idx, err_t *err)
{
    json_t *v = json_object_get(o, k);
    if (v && !json_is_null(v) && !json_is_integer(v))
        return err_set(err, ERR_UNAVAILABLE, "%s[%zu].%s is not an integer", what, idx, k);
    *out = json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
    return 0;
}

/* metadata.snapshots (absent or null: none) into t->snapshots. */
static int parse_snapshots(json_t *m, rest_table_t *t, err_t *err)
{
    static const char what[] = "metadata.snapshots";
    json_t *snaps = json_object_get(m, "snapshots"), *s;
    size_t i;
    if (!snaps || json_is_null(snaps))
        return 0;
    if (!json_is_array(snaps))
        return err_set(err, ERR_UNAVAILABLE, "%s is not an array", what);
    size_t n = json_array_size(snaps);
    if (n > REST_MAX_SNAPSHOTS)
        return err_set(err, ERR_UNAVAILABLE, "%s has %zu entries, more than %d", what, n, REST_MAX_SNAPSHOTS);
    if (n && !(t->snapshots = calloc(n, sizeof *t->snapshots)))
        return err_set(err, ERR_NOMEM, "%s: out of memory", what);
    json_array_foreach(snaps, i, s)
    {
        rest_snapshot_t *sn = &t->snapshots[i];
        if (!json_is_object(s))
            return err_set(err, ERR_UNAVAILABLE, "%s[%zu] is not an object", what, i);
        json_t *id = json_object_get(s, "snapshot-id"), *ts = json_object_get(s, "timestamp-ms"),
               *ml = json_object_get(s, "manifest-list");
        if (!json_is_integer(id))
            return err_set(err, ERR_UNAVAILABLE, "%s[%zu].snapshot-id is %s", what, i, id ? "not an integer" : "missing");
        if (!json_is_integer(ts))
            return err_set(err, ERR_UNAVAILABLE, "%s[%zu].timestamp-ms is %s", what, i, ts ? "not an integer" : "missing");
        if (!json_is_string(ml))
            return err_set(err, ERR_UNAVAILABLE, "%s[%zu].manifest-list is %s", what, i, ml ? "not a string" : "missing");
        if (json_string_length(ml) > REST_MAX_MANIFEST_LIST)
            return err_set(err, ERR_UNAVAILABLE, "%s[%zu].manifest-list is longer than %d bytes", what, i, REST_MAX_MANIFEST_LIST);
        sn->snapshot_id = (int64_t)json_integer_value(id);
        sn->timestamp_ms = (int64_t)json_integer_value(ts);
        if (opt_int(s, "parent-snapshot-id", -1, &sn->parent_id, what, i, err) ||
            opt_int(s, "sequence-number", 0, &sn->sequence_number, what, i, err))
            return -1;
        if (!(sn->manifest_list = strdup(json_string_value(ml))))
            return err_set(err, ERR_NOMEM, "%s: out of memory", what);
        t->nsnapshots = i + 1;
    }
    return 0;
}

const rest_snapshot_t *rest_table_snapshot(const rest_table_t *t, int64_t snapshot_id)
{
    for (size_t i = 0; i < t->nsnapshots; i++)
        if (t->snapshots[i].snapshot_id == snapshot_id)
            return &t->snapshots[i];
    return NULL;
}

/* A LoadTableResult or CommitTableResponse into t. */
static int parse_table(json_t *j, rest_table_t *t, err_t *err)
{
    rest_table_free(t);
    memset(t, 0, sizeof *t);
    json_t *m = json_object_get(j, "metadata");
    if (!json_is_object(m))
        return err_set(err, ERR_UNAVAILABLE, "metadata is %s", m ? "not an object" : "missing");
    int64_t fv = 0;
    if (copy_str(j, "metadata-location", t->metadata_location, sizeof t->metadata_location, 0, err) ||
        need_int(m, "format-version", &fv, err) ||
        copy_str(m, "table-uuid", t->table_uuid, sizeof t->table_uuid, 1, err) ||
        copy_str(m, "location", t->location, sizeof t->location, 1, err))
        return -1;
    t->format_version = (int)fv;
    t->last_sequence_number = int_or(m, "last-sequence-number", 0);
    t->last_column_id = int_or(m, "last-column-id", -1);
    t->current_schema_id = int_or(m, "current-schema-id", 0);
    t->default_spec_id = int_or(m, "default-spec-id", 0);
    t->default_sort_order_id = int_or(m, "default-sort-order-id", 0);
    t->current_snapshot_id = int_or(m, "current-snapshot-id", -1);
    t->main_snapshot_id = t->current_snapshot_id;
    json_t *refs = json_object_get(m, "refs"), *mainref = json_is_object(refs) ? json_object_get(refs, "main") : NULL;
    if (json_is_object(mainref))
        t->main_snapshot_id = int_or(mainref, "snapshot-id", -1);
    else if (json_is_object(refs))
        t->main_snapshot_id = -1;
    if (parse_snapshots(m, t, err))
        return -1;
    if (t->current_snapshot_id >= 0) {
        const rest_snapshot_t *sn = rest_table_snapshot(t, t->current_snapshot_id);
        if (!sn)
            return err_set(err, ERR_UNAVAILABLE, "metadata: current snapshot %lld is not in snapshots",
                           (long long)t->current_snapshot_id);
        json_t *cur = json_array_get(json_object_get(m, "snapshots"), (size_t)(sn - t->snapshots));
        if (copy_str(cur, "manifest-list", t->manifest_list, sizeof t->manifest_list, 1, err))
            return err_prefix(err, "current snapshot");
        t->snapshot_sequence_number = sn->sequence_number;
        json_t *sum = json_object_get(cur, "summary");
        const char *v;
        if (json_is_object(sum)) {
            if ((v = json_string_value(json_object_get(sum, "total-data-files"))))
                t->total_data_files = strtoll(v, NULL, 10);
            if ((v = json_string_value(json_object_get(sum, "total-records"))))
                t->total_records = strtoll(v, NULL, 10);
            if ((v = json_string_value(json_object_get(sum, "total-files-size"))))
                t->total_files_size = strtoll(v, NULL, 10);
        }
    }
    json_t *specs = json_object_get(m, "partition-specs"), *sp;
    size_t i;
    if (json_is_array(specs))
        json_array_foreach(specs, i, sp)
        {
            if (!json_is_object(sp) || int_or(sp, "spec-id", -1) != t->default_spec_id)
                continue;
            json_t *fields = json_object_get(sp, "fields"), *f;
            size_t fi;
            if (!json_is_array(fields))
                return err_set(err, ERR_UNAVAILABLE, "metadata: partition spec %lld has no fields array",
                               (long long)t->default_spec_id);
            json_array_foreach(fields, fi, f)
            {
                if (t->npart_fields >= REST_MAX_PART_FIELDS)
                    return err_set(err, ERR_UNAVAILABLE, "metadata: more than %d partition fields", REST_MAX_PART_FIELDS);
                if (!json_is_object(f))
                    return err_set(err, ERR_UNAVAILABLE, "metadata: a partition field is not an object");
                rest_part_field_t *pf = &t->part_fields[t->npart_fields++];
                if (need_int(f, "source-id", &pf->source_id, err) || need_int(f, "field-id", &pf->field_id, err) ||
                    copy_str(f, "name", pf->name, sizeof pf->name, 1, err) ||
                    copy_str(f, "transform", pf->transform, sizeof pf->transform, 1, err))
                    return err_prefix(err, "partition field");
            }
        }
    if (props_merge(&t->config, json_object_get(j, "config"), "config", err))
        return -1;
    /* storage-credentials: the longest prefix of the table location wins over config */
    json_t *sc = json_object_get(j, "storage-credentials"), *e, *best = NULL;
    size_t bestlen = 0;
    if (json_is_array(sc))
        json_array_foreach(sc, i, e)
        {
            const char *pre = json_is_object(e) ? json_string_value(json_object_get(e, "prefix")) : NULL;
            if (pre && strncmp(t->location, pre, strlen(pre)) == 0 && (!best || strlen(pre) > bestlen))
                best = json_object_get(e, "config"), bestlen = strlen(pre);
        }
    if (best && props_merge(&t->config, best, "storage-credentials.config", err))
        return -1;
    return 0;
}

void rest_table_free(rest_table_t *t)
{
    rest_props_free(&t->config);
    for (size_t i = 0; i < t->nsnapshots; i++)
        free(t->snapshots[i].manifest_list);
    free(t->snapshots);
    t->snapshots = NULL;
    t->nsnapshots = 0;
}

int rest_table_parse_json(const char *json, size_t len, rest_table_t *out, err_t *err)
{
    json_error_t je;
    json_t *j = json_loadb(json, len, 0, &je);
    if (!json_is_object(j)) {
        rest_table_free(out);
        memset(out, 0, sizeof *out);
        int rc = j ? err_set(err, ERR_UNAVAILABLE, "table metadata is not a JSON object")
                   : err_set(err, ERR_UNAVAILABLE, "table metadata is not JSON: %s at byte %d", je.text, je.position);
        json_decref(j);
        return rc;
    }
    int rc = parse_table(j, out, err);
    json_decref(j);
    return rc;
}

/* A 200 answer parsed into out. */
static int table_answer(call_t *k, http_response_t *resp, rest_table_t *out, err_t *err)
{
    json_t *j = answer_object(k, resp, err);
    if (!j)
        return -1;
    int rc = parse_table(j, out, err);
    if (rc)
        err_prefix(err, "%s", k->what);
    json_decref(j);
    return rc;
}

/* loadTable; *status (may be NULL) gets the HTTP status, 0 when there was no answer. */
static int load_table(rest_catalog_t *c, const rest_ns_t *ns, const char *name, rest_table_t *out, long *status,
                      err_t *err)
{
    call_t k = {.method = "GET"};
    http_response_t resp = {0};
    int rc = -1;
    if (table_path(c, &k, ns, name))
        err_set(err, ERR_NOMEM, "out of memory");
    else if (exchange(c, &k, &resp, err) == 0)
        rc = resp.status == 200 ? table_answer(&k, &resp, out, err) : answer_error(&k, &resp, err);
    if (status)
        *status = resp.status;
    buf_free(&k.path);
    http_response_free(&resp);
    return rc;
}

int rest_load_table(rest_catalog_t *c, const rest_ns_t *ns, const char *name, rest_table_t *out, err_t *err)
{
    return load_table(c, ns, name, out, NULL, err);
}

int rest_ensure_table(rest_catalog_t *c, const rest_ns_t *ns, const table_schema_t *s, const ice_partition_spec_t *spec,
                      rest_table_t *out, int *created, err_t *err)
{
    *created = 0;
    /* load first: every start after the first needs one call, and no CreateTable permission */
    long status = 0;
    if (load_table(c, ns, s->name, out, &status, err) == 0)
        return 0;
    if (status != 404)
        return -1;
    err_clear(err);
    call_t k = {.method = "POST"};
    http_response_t resp = {0};
    buf_t body = {0};
    int rc = -1;
    json_t *o = json_object(), *props = json_object();
    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "schema", iceberg_schema_json(s, 0));
    json_object_set_new(o, "partition-spec", iceberg_partition_spec_json(spec));
    json_object_set_new(o, "write-order", iceberg_sort_order_json(s));
    json_object_set_new(o, "stage-create", json_false());
    json_object_set_new(props, "format-version", json_string("2"));
    json_object_set_new(props, "write.format.default", json_string("parquet"));
    json_object_set_new(props, "write.parquet.compression-codec", json_string("zstd"));
    json_object_set_new(o, "properties", props);
    if (!o || !props || json_object_size(o) != 6 || iceberg_json_text(&body, o) || table_path(c, &k, ns, NULL)) {
        err_set(err, ERR_NOMEM, "table %s: out of memory", s->name);
        goto out;
    }
    k.body = &body;
    if (exchange(c, &k, &resp, err))
        goto out;
    if (resp.status == 200) {
        *created = 1;
        rc = table_answer(&k, &resp, out, err);
    } else if (resp.status == 409) {
        /* it exists (someone else may just have created it): load it */
        rc = rest_load_table(c, ns, s->name, out, err);
    } else {
        answer_error(&k, &resp, err);
    }
out:
    json_decref(o);
    buf_free(&body);
    buf_free(&k.path);
    http_response_free(&resp);
    return rc;
}

static json_t *i64_or_null(int64_t v) { return v < 0 ? json_null() : json_integer(v); }

static json_t *str_i64(int64_t v)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)v);
    return json_string(s);
}

rest_commit_rc_t rest_commit(rest_catalog_t *c, const rest_ns_t *ns, const char *table, const rest_commit_t *cm,
                             rest_table_t *out, err_t *err)
{
    call_t k = {.method = "POST"};
    http_response_t resp = {0};
    buf_t body = {0};
    rest_commit_rc_t rc = REST_COMMIT_FAILED;
    json_t *o = json_object(), *id = json_object(), *nsarr = json_array(), *reqs = json_array(), *ups = json_array();
    json_t *r1 = json_object(), *r2 = json_object(), *u1 = json_object(), *u2 = json_object();
    json_t *snap = json_object(), *sum = json_object();
    for (size_t i = 0; i < ns->nparts; i++)
        json_array_append_new(nsarr, json_string(ns->parts[i]));
    json_object_set_new(id, "namespace", nsarr);
    json_object_set_new(id, "name", json_string(table));
    json_object_set_new(o, "identifier", id);
    json_object_set_new(r1, "type", json_string("assert-table-uuid"));
    json_object_set_new(r1, "uuid", json_string(cm->table_uuid));
    json_object_set_new(r2, "type", json_string("assert-ref-snapshot-id"));
    json_object_set_new(r2, "ref", json_string("main"));
    json_object_set_new(r2, "snapshot-id", i64_or_null(cm->assert_snapshot_id));
    json_array_append_new(reqs, r1);
    json_array_append_new(reqs, r2);
    json_object_set_new(o, "requirements", reqs);
    json_object_set_new(sum, "operation", json_string("append"));
    json_object_set_new(sum, "added-data-files", str_i64(cm->added_data_files));
    json_object_set_new(sum, "added-records", str_i64(cm->added_records));
    json_object_set_new(sum, "added-files-size", str_i64(cm->added_files_size));
    json_object_set_new(sum, "total-data-files", str_i64(cm->total_data_files));
    json_object_set_new(sum, "total-records", str_i64(cm->total_records));
    json_object_set_new(sum, "total-files-size", str_i64(cm->total_files_size));
    json_object_set_new(sum, "total-delete-files", json_string("0"));
    json_object_set_new(sum, "total-position-deletes", json_string("0"));
    json_object_set_new(sum, "total-equality-deletes", json_string("0"));
    json_object_set_new(snap, "snapshot-id", json_integer(cm->snapshot_id));
    if (cm->parent_snapshot_id >= 0)
        json_object_set_new(snap, "parent-snapshot-id", json_integer(cm->parent_snapshot_id));
    json_object_set_new(snap, "sequence-number", json_integer(cm->sequence_number));
    json_object_set_new(snap, "timestamp-ms", json_integer(cm->timestamp_ms));
    json_object_set_new(snap, "manifest-list", json_string(cm->manifest_list));
    json_object_set_new(snap, "summary", sum);
    json_object_set_new(snap, "schema-id", json_integer(cm->schema_id));
    json_object_set_new(u1, "action", json_string("add-snapshot"));
    json_object_set_new(u1, "snapshot", snap);
    json_object_set_new(u2, "action", json_string("set-snapshot-ref"));
    json_object_set_new(u2, "ref-name", json_string("main"));
    json_object_set_new(u2, "type", json_string("branch"));
    json_object_set_new(u2, "snapshot-id", json_integer(cm->snapshot_id));
    json_array_append_new(ups, u1);
    json_array_append_new(ups, u2);
    json_object_set_new(o, "updates", ups);
    if (!o || !id || !nsarr || !reqs || !ups || !r1 || !r2 || !u1 || !u2 || !snap || !sum ||
        json_object_size(snap) < 6 || iceberg_json_text(&body, o) || table_path(c, &k, ns, table)) {
        err_set(err, ERR_NOMEM, "commit to %s: out of memory", table);
        goto out;
    }
    k.body = &body;
    if (exchange(c, &k, &resp, err)) {
        rc = REST_COMMIT_UNKNOWN; /* the catalog may have applied it */
        goto out;
    }
    if (resp.status == 200) {
        rest_table_t tmp = {0};
        rc = table_answer(&k, &resp, out ? out : &tmp, err) == 0 ? REST_COMMIT_OK : REST_COMMIT_UNKNOWN;
        rest_table_free(&tmp);
    } else {
        answer_error(&k, &resp, err);
        rc = resp.status == 409 ? REST_COMMIT_CONFLICT : resp.status >= 500 ? REST_COMMIT_UNKNOWN : REST_COMMIT_FAILED;
    }
out:
    json_decref(o);
    buf_free(&body);
    buf_free(&k.path);
    http_response_free(&resp);
    return rc;
}
