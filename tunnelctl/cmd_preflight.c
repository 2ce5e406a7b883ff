/*
 * cmd_preflight: `tunnelctl preflight`, the gateway preflight (control
 * command "preflight", docs/schema/preflight.schema.json, docs/preflight.md):
 * forwarding, reverse-path filtering and the MSS clamp as tunneld checks
 * them when asked, each problem with the sysctl or rule that fixes it.
 *
 * Exit status: 1 when the document counts a problem (notes do not count),
 * or the reply does not match the schema.
 *
 * Threading: single-threaded (tunnelctl).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmd.h"
#include "text_escape.h"

static const char *str(json_object *o, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* the item i, or NULL (why) when it does not match the schema */
static const char *item_ok(json_object *it)
{
    json_object *p, *fix;

    if (!json_object_is_type(it, json_type_object))
        return "an item is not an object";
    if (!str(it, "check") || !str(it, "subject") || !str(it, "text"))
        return "an item lacks check, subject or text (strings)";
    if (!json_object_object_get_ex(it, "problem", &p) || !json_object_is_type(p, json_type_boolean))
        return "an item's problem is not a boolean";
    if (!json_object_object_get_ex(it, "fix", &fix) ||
        (fix && !json_object_is_type(fix, json_type_string)))
        return "an item's fix is not a string or null";
    return NULL;
}

/* NULL when doc matches the schema's required parts, else why */
static const char *doc_ok(json_object *doc, json_object **items, int64_t *problems)
{
    json_object *v;

    if (!json_object_is_type(doc, json_type_object))
        return "not a JSON object";
    if (!json_object_object_get_ex(doc, "version", &v) || !json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) != 1)
        return "version is not 1";
    if (!json_object_object_get_ex(doc, "problems", &v) || !json_object_is_type(v, json_type_int) ||
        (*problems = json_object_get_int64(v)) < 0)
        return "problems is not a count";
    if (!json_object_object_get_ex(doc, "items", items) ||
        !json_object_is_type(*items, json_type_array))
        return "items is not an array";
    for (size_t i = 0; i < json_object_array_length(*items); i++) {
        const char *why = item_ok(json_object_array_get_idx(*items, i));
        if (why)
            return why;
    }
    return NULL;
}

static void print_checked(json_object *doc)
{
    json_object *c, *v;

    if (!json_object_object_get_ex(doc, "checked", &c) || !json_object_is_type(c, json_type_object))
        return;
    fputs("checked:", stdout);
    if (json_object_object_get_ex(c, "ipv4", &v) && json_object_get_boolean(v))
        fputs(" IPv4 forwarding,", stdout);
    if (json_object_object_get_ex(c, "ipv6", &v) && json_object_get_boolean(v))
        fputs(" IPv6 forwarding,", stdout);
    fputs(" rp_filter on", stdout);
    size_t n = 0;
    if (json_object_object_get_ex(c, "devices", &v) && json_object_is_type(v, json_type_array))
        for (; n < json_object_array_length(v); n++) {
            fputc(' ', stdout);
            text_put(stdout, json_object_get_string(json_object_array_get_idx(v, n)));
        }
    if (!n)
        fputs(" no device", stdout);
    if (json_object_object_get_ex(c, "mss", &v) && json_object_is_type(v, json_type_array) &&
        json_object_array_length(v)) {
        fputs("; MSS clamp", stdout);
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            json_object *m = json_object_array_get_idx(v, i), *mss;
            const char *dev = str(m, "dev");
            if (!dev || !json_object_object_get_ex(m, "mss", &mss))
                continue;
            printf(" %lld on ", (long long)json_object_get_int64(mss));
            text_put(stdout, dev);
        }
    } else {
        fputs("; no MSS clamp", stdout);
    }
    fputc('\n', stdout);
}

static void print_text(json_object *doc, json_object *items, int64_t problems)
{
    size_t n = json_object_array_length(items);

    printf("preflight: %lld problem%s\n", (long long)problems, problems == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i), *p;
        json_object_object_get_ex(it, "problem", &p);
        printf("%-8s ", json_object_get_boolean(p) ? "problem" : "note");
        text_put(stdout, str(it, "check"));
        fputs(": ", stdout);
        text_put(stdout, str(it, "text"));
        fputc('\n', stdout);
        if (str(it, "fix")) {
            fputs("         fix: ", stdout);
            text_put(stdout, str(it, "fix"));
            fputc('\n', stdout);
        }
    }
    print_checked(doc);
}

int cmd_preflight(void)
{
    ctl_reply_t reply;
    json_object *doc, *items = NULL;
    int64_t problems = 0;
    const char *why;

    if (request("preflight", &reply) != 0)
        return 1;
    doc = json_tokener_parse(reply.data);
    free(reply.data);
    why = doc ? doc_ok(doc, &items, &problems) : "not JSON";
    if (why) {
        json_object_put(doc);
        return schema_error("preflight", "docs/schema/preflight.schema.json", strdup(why));
    }
    if (ctl_out == &output_json)
        printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    else
        print_text(doc, items, problems);
    json_object_put(doc);
    return problems ? 1 : 0;
}
