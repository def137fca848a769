#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(err_t *e, err_code_t code, const char *fmt, ...)
{
    if (!e)
        return -1;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int err_prefix(err_t *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char head[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    char old[sizeof e->msg];
    memcpy(old, e->msg, sizeof old);
    /* truncation is fine: the head and the start of the old message matter most */
    size_t h = strlen(head);
    if (h > sizeof e->msg - 3)
        h = sizeof e->msg - 3;
    memcpy(e->msg, head, h);
    e->msg[h] = ':';
    e->msg[h + 1] = ' ';
    size_t room = sizeof e->msg - h - 3;
    size_t o = strnlen(old, room);
    memcpy(e->msg + h + 2, old, o);
    e->msg[h + 2 + o] = 0;
    return -1;
}
