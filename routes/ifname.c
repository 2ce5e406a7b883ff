/*
 * ifname.c - the one rule for interface names that tunneld accepts (the
 * route engine's path devices, the XFRM interfaces of tunneld's settings),
 * and names made safe to print in a message.
 *
 * The kernel refuses link names that are empty, "." or "..", 16 bytes or
 * longer, or that hold '/', ':' or white space, and takes '%' as a template
 * ("er%d"); a name with control bytes or bytes outside ASCII would reach
 * the log raw. Such a name could never become usable, so it is refused
 * where it is configured, with a message that shows it escaped.
 *
 * Threading: no state; any thread.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

bool routes_ifname_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (!len || len >= IF_NAMESIZE || !strcmp(name, ".") || !strcmp(name, ".."))
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == ':' || *p == '%')
            return false;
    return true;
}

const char *rt_name_escape(const char *in, char *out, size_t len)
{
    size_t o = 0, n = in ? strlen(in) : 0, i;

    if (!len)
        return out;
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        /* room for one escaped byte, "...(N bytes)" and the NUL */
        if (o + 4 + 24 >= len)
            break;
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
    }
    if (i < n && o < len)
        snprintf(out + o, len - o, "...(%zu bytes)", n);
    else if (o < len)
        out[o] = '\0';
    return out;
}
