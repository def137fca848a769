/* One Lambda invocation: see handler.h. */
#include "lambda/handler.h"

#include <stdio.h>
#include <string.h>

#include "http/otlp_handler.h"
#include "iceberg/committer.h"
#include "lambda/event.h"
#include "lambda/response.h"
#include "util/log.h"

int lambda_handle_event(const lambda_handler_t *h, const char *event, size_t len, buf_t *out, char *errmsg,
                        size_t errlen)
{
    /* no timer runs between invocations: commits that failed before are retried now, so the
     * next invocation after the catalog is back commits them */
    if (h->iceberg && ice_committer_pending(h->iceberg))
        ice_committer_retry_pending(h->iceberg);

    lambda_event_t ev;
    int too_large = 0;
    otlp_reply_t rep;
    memset(&rep, 0, sizeof rep);
    int rc = -1;
    if (lambda_event_parse(event, len, h->max_body, &ev, &too_large, rep.msg, sizeof rep.msg)) {
        if (ev.family == LAMBDA_EV_NONE) {
            snprintf(errmsg, errlen, "%s", rep.msg);
            log_msg(LOG_ERROR, "lambda: %s", rep.msg);
            goto out;
        }
        /* an HTTP event we cannot read: 400 (or 413), in the family's shape */
        otlp_route_t rt;
        memset(&rt, 0, sizeof rt);
        rt.enc_known = otlp_parse_content_type(lambda_event_header(&ev, "content-type"), &rt.enc) == 0;
        if (otlp_error_reply(&rep, &rt, too_large ? 413 : 400, NULL, rep.msg))
            goto nomem;
    } else {
        int st = otlp_handle(h->ingest, h->storage, h->max_body, ev.method, ev.path,
                             lambda_event_header(&ev, "content-type"), lambda_event_header(&ev, "content-encoding"),
                             &ev.body, &rep);
        if (st < 0)
            goto nomem;
    }
    char path[128], shown[300];
    otlp_printable(ev.path, path, sizeof path);
    if (rep.status != 200) {
        otlp_printable(rep.msg, shown, sizeof shown);
        log_msg(otlp_log_level_for(rep.status), "lambda: %s %s: %d: %s", ev.method, path, rep.status, shown);
    } else if (rep.res.rejected) {
        otlp_printable(rep.res.message, shown, sizeof shown);
        log_msg(LOG_WARN, "lambda: %s %s: %llu rows accepted, %llu rejected: %s", ev.method, path,
                (unsigned long long)rep.res.rows, (unsigned long long)rep.res.rejected, shown);
    } else
        log_msg(LOG_DEBUG, "lambda: %s %s: %llu rows accepted", ev.method, path, (unsigned long long)rep.res.rows);
    if (lambda_response_json(ev.family, ev.multi_value, &rep, out))
        goto nomem;
    rc = 0;
    goto out;
nomem:
    snprintf(errmsg, errlen, "out of memory");
out:
    otlp_reply_free(&rep);
    lambda_event_free(&ev);
    return rc;
}
