#include "store/store_err.h"

#include <stdarg.h>
#include <stdio.h>

void store_err_clear(bk_store_err *err)
{
    err->code = BK_OK;
    err->message[0] = '\0';
}

BK_API int bk_store_error(bk_store_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    } else {
        err->message[0] = '\0';
    }
    return code;
}
