/* The in-memory backend: "memory:" (private) and "memory:NAME" (one store
 * per name, shared by every handle of the process that opens it). */
#ifndef BK_STORE_MEMORY_H
#define BK_STORE_MEMORY_H

#include "booking/sys/store.h"

/* Opens a private store (name NULL or "") or the shared store `name`,
 * creating it on first open; a shared store is freed when its last handle
 * closes.  BK_OK, BK_ENOMEM (with a message in err). */
int memory_store_open(const char *name, bk_store **out, bk_store_err *err);

#endif
