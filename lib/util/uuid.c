#include "util/uuid.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

int uuid_generate(bk_id *out)
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out->s[o++] = '-';
        out->s[o++] = hex[b[i] >> 4];
        out->s[o++] = hex[b[i] & 0x0F];
    }
    out->s[o] = '\0';
    return 0;
}

int uuid_valid(const char *text)
{
    if (!text)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        unsigned char c = (unsigned char)text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!isxdigit(c)) {
            return 0;
        }
    }
    return text[36] == '\0';
}
