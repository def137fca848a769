/* Static keys of a named profile in the AWS shared files. The credentials file has sections
 * "[name]", the config file "[profile name]" (and "[default]"). Lines are "key = value"; blank
 * lines and full-line comments (# or ;) are skipped, as is a comment after a value when a space
 * precedes its # or ;. Indented lines under a key with no value are nested settings
 * ("s3 =\n  max_concurrent_requests = 10") and never taken for top-level keys. CRLF is fine. */
#include "aws/cred_sources.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/file_read.h"

#define MAX_FILE_BYTES ((size_t)1 << 20)

typedef struct {
    const char *v;
    size_t n;
    int set;
} val_t;

typedef struct {
    val_t id, secret, token;
    int found;
} prof_t;

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

static void trim(const char **s, const char **e)
{
    while (*s < *e && is_ws(**s))
        (*s)++;
    while (*e > *s && is_ws((*e)[-1]))
        (*e)--;
}

static int span_eq(const char *s, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(e - s) == n && memcmp(s, lit, n) == 0;
}

/* Whether the text between [ and ] names the profile: "name" in the credentials file;
 * "profile name" in the config file, where the default profile is also plain "default". */
static int section_matches(const char *s, const char *e, const char *name, int config_style)
{
    trim(&s, &e);
    if (!config_style)
        return span_eq(s, e, name);
    if (strcmp(name, "default") == 0 && span_eq(s, e, "default"))
        return 1;
    if (e - s < 8 || memcmp(s, "profile", 7) != 0 || !is_ws(s[7]))
        return 0;
    s += 7;
    trim(&s, &e);
    return span_eq(s, e, name);
}

static void parse_ini(const char *text, size_t len, const char *name, int config_style, prof_t *p)
{
    const char *end = text + len;
    int in_section = 0, nested = 0;
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        const char *next = eol ? eol + 1 : end;
        const char *s = line, *e = eol ? eol : end;
        int indented = s < e && is_ws(*s) && *s != '\r';
        line = next;
        trim(&s, &e);
        if (s == e || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            const char *close = memchr(s, ']', (size_t)(e - s));
            if (!close) {
                in_section = 0; /* a broken header: what follows belongs to no profile */
                continue;
            }
            in_section = section_matches(s + 1, close, name, config_style);
            p->found |= in_section;
            nested = 0;
            continue;
        }
        if (indented && nested)
            continue;
        nested = 0;
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (!eq || !in_section)
            continue;
        const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
        trim(&ks, &ke);
        for (const char *c = vs; c < ve; c++)
            if ((*c == '#' || *c == ';') && c > vs && is_ws(c[-1])) {
                ve = c;
                break;
            }
        trim(&vs, &ve);
        if (vs == ve) {
            nested = 1; /* "s3 =": the indented lines after it are its own settings */
        }
        val_t *dst = NULL;
        size_t kn = (size_t)(ke - ks);
        if (kn == 17 && strncasecmp(ks, "aws_access_key_id", kn) == 0)
            dst = &p->id;
        else if (kn == 21 && strncasecmp(ks, "aws_secret_access_key", kn) == 0)
            dst = &p->secret;
        else if (kn == 17 && strncasecmp(ks, "aws_session_token", kn) == 0)
            dst = &p->token;
        if (dst) {
            dst->v = vs;
            dst->n = (size_t)(ve - vs);
            dst->set = 1;
            nested = 0;
        }
    }
}

static int load_one(const char *path, buf_t *text, const char *name, int config_style, prof_t *p,
                    err_t *err)
{
    if (!path)
        return 0;
    int rc = file_read_bounded(path, MAX_FILE_BYTES, text, err);
    if (rc < 0)
        return err_prefix(err, "profile %s", name);
    if (rc == 0)
        parse_ini((const char *)text->data, text->len, name, config_style, p);
    return 0;
}

int cred_profile_load(const char *name, const char *creds_path, const char *config_path, int *found,
                      int *has_keys, aws_credentials_t *out, err_t *err)
{
    *found = *has_keys = 0;
    buf_t cfg_text = {0}, cred_text = {0};
    prof_t p = {0};
    int rc = -1;
    /* the config file first, so that keys in the credentials file override it */
    if (load_one(config_path, &cfg_text, name, 1, &p, err) ||
        load_one(creds_path, &cred_text, name, 0, &p, err))
        goto done;
    *found = p.found;
    rc = 0;
    if (!p.id.set && !p.secret.set)
        goto done; /* e.g. a profile holding only a region or a role to assume */
    char source[192];
    snprintf(source, sizeof source, "profile %s", name);
    if (!p.id.set || !p.secret.set) {
        rc = err_set(err, ERR_CONFIG, "%s: %s is missing", source,
                     p.id.set ? "aws_secret_access_key" : "aws_access_key_id");
        goto done;
    }
    memset(out, 0, sizeof *out);
    if (cred_copy_field(source, "aws_access_key_id", p.id.v, p.id.n, out->access_key,
                        sizeof out->access_key, 0, err) ||
        cred_copy_field(source, "aws_secret_access_key", p.secret.v, p.secret.n, out->secret_key,
                        sizeof out->secret_key, 0, err) ||
        cred_copy_field(source, "aws_session_token", p.token.v, p.token.n, out->session_token,
                        sizeof out->session_token, 1, err)) {
        err->code = ERR_CONFIG;
        memset(out, 0, sizeof *out);
        rc = -1;
        goto done;
    }
    *has_keys = 1;
done:
    /* the texts held secrets: clear them before giving the memory back */
    if (cfg_text.data)
        explicit_bzero(cfg_text.data, cfg_text.cap);
    if (cred_text.data)
        explicit_bzero(cred_text.data, cred_text.cap);
    buf_free(&cfg_text);
    buf_free(&cred_text);
    return rc;
}
