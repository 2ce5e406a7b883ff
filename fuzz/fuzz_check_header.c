/*
 * fuzz_check_header: arbitrary bytes as the header lines of a proxy's
 * answer to CONNECT (checks/check_header.c), then the reason made of what
 * was kept (checks/check_reason.c). Invariants: every kept text is
 * NUL-terminated inside its buffer and printable ASCII; the status is 0 or
 * three digits; the reason fits CHECKS_REASON_MAX, has no control byte, and
 * names the answering hop only when Via named a configured one.
 *
 * Threading: single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_facts.h"

static void printable(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);

    if (n >= cap)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            abort();
}

static void reason_ok(const struct cr_out *o)
{
    if (o->needed >= CHECKS_REASON_MAX || strlen(o->reason) != o->needed)
        abort();
    for (const char *p = o->reason; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const via[] = {"dmz-proxy", "azure-proxy"};
    struct checks_item it = {
        .site = "s",
        .group = "g",
        .path = "p",
        .host = "blob.example",
        .port = 443,
        .use_proxy = true,
        .proxy = {
            .host = "100.64.3.3", .port = 3128, .via = via, .n_via = 2, .auth = CHECKS_AUTH_ANY}};
    struct check_facts f = {.verify_result = -1};
    const char *s = (const char *)data, *end = s + size;
    struct cr_out o;

    checks_tls_defaults(&it.tls);
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);
        ch_line(&f.proxy, s, len);
        s += len;
    }
    printable(f.proxy.line, sizeof(f.proxy.line));
    printable(f.proxy.text, sizeof(f.proxy.text));
    printable(f.proxy.error, sizeof(f.proxy.error));
    printable(f.proxy.via_first, sizeof(f.proxy.via_first));
    if (f.proxy.status != 0 && (f.proxy.status < 0 || f.proxy.status > 999))
        abort();
    if (!f.proxy.status)
        f.proxy.status = 503;
    cr_judge(&it, &f, &o);
    reason_ok(&o);
    if (o.verdict != CHECKS_FAIL && (f.proxy.status < 200 || f.proxy.status > 299))
        abort();
    bool names_parent = strstr(o.reason, "\xe2\x86\x92 azure-proxy") != NULL;
    if (names_parent != (ch_hop_index(f.proxy.via_first, via, 2) == 1) &&
        (f.proxy.status < 200 || f.proxy.status > 299))
        abort();
    return 0;
}
