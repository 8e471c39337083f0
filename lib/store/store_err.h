#ifndef BK_STORE_STORE_ERR_H
#define BK_STORE_STORE_ERR_H

#include "booking/sys/store.h"

/* The error slot a handle lends to its backend for one call. */
struct bk_store_err {
    int code;
    char message[512];
};

void store_err_clear(bk_store_err *err);

#endif
