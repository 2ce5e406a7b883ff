/* status_line: the service's STATUS= text (tunneld/status_line.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status_line.h"

/* a paths document with sites "NAME:ACTIVE1+ACTIVE2" ("NAME:" none active) */
static json_object *paths_doc(const char *const *sites, size_t n)
{
    json_object *doc = json_object_new_object(), *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++) {
        json_object *site = json_object_new_object(), *active = json_object_new_array();
        char *copy = strdup(sites[i]), *colon = strchr(copy, ':'), *tok, *save = NULL;

        *colon = '\0';
        json_object_object_add(site, "name", json_object_new_string(copy));
        for (tok = strtok_r(colon + 1, "+", &save); tok; tok = strtok_r(NULL, "+", &save))
            json_object_array_add(active, json_object_new_string(tok));
        json_object_object_add(site, "active", active);
        json_object_array_add(arr, site);
        free(copy);
    }
    json_object_object_add(doc, "sites", arr);
    return doc;
}

static void test_empty(void **state)
{
    char buf[STATUS_LINE_MAX];

    (void)state;
    assert_string_equal(status_line(buf, NULL, NULL, 0, NULL), "no sites; SAs 0/0 up");
    assert_string_equal(status_line(buf, NULL, NULL, 0, ""), "no sites; SAs 0/0 up");
    assert_string_equal(status_line(buf, NULL, NULL, 0, "reloaded"),
                        "no sites; SAs 0/0 up; reloaded");
}

static void test_sites_and_sas(void **state)
{
    const char *sites[] = {"azure-westeurope:vpn", "aws-east:", "gcp:er1+er2"};
    json_object *doc = paths_doc(sites, 3);
    sa_child_rec_t kids[4] = {{.state = SA_STATE_ESTABLISHED},
                              {.state = SA_STATE_CONNECTING},
                              {.state = SA_STATE_REKEYING},
                              {.state = SA_STATE_DOWN}};
    sa_ike_rec_t rows[2] = {{.n_children = 3, .children = kids},
                            {.n_children = 1, .children = kids + 3}};
    char buf[STATUS_LINE_MAX];

    (void)state;
    assert_string_equal(status_line(buf, doc, rows, 2, NULL),
                        "3 sites: azure-westeurope on vpn, aws-east down, gcp on er1+er2; "
                        "SAs 2/4 up");
    json_object_put(doc);
    doc = paths_doc(sites, 1);
    assert_string_equal(status_line(buf, doc, rows, 1, "reloaded"),
                        "1 site: azure-westeurope on vpn; SAs 2/3 up; reloaded");
    json_object_put(doc);
}

static void test_many_sites(void **state)
{
    const char *sites[] = {"a:x", "b:x", "c:x", "d:x", "e:x", "f:x"};
    json_object *doc = paths_doc(sites, 6);
    char buf[STATUS_LINE_MAX];

    (void)state;
    assert_string_equal(status_line(buf, doc, NULL, 0, NULL),
                        "6 sites: a on x, b on x, c on x, d on x, +2 more; SAs 0/0 up");
    json_object_put(doc);
}

/* names past the limit are cut visibly; no byte can start another field */
static void test_hostile(void **state)
{
    char name[300], site[310], note[2000], buf[STATUS_LINE_MAX];
    const char *sites[2];
    json_object *doc;

    (void)state;
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(site, sizeof(site), "%s:vpn", name);
    sites[0] = site;
    sites[1] = "bad\nREADY=1\x01%s%n:er";
    doc = paths_doc(sites, 2);
    status_line(buf, doc, NULL, 0, "reload refused: line one\nline\ttwo\x7f");
    assert_null(strchr(buf, '\n'));
    for (const char *p = buf; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
    /* 48 bytes of the name, then "..." */
    assert_int_equal(strncmp(buf, "2 sites: ", 9), 0);
    assert_int_equal(strspn(buf + 9, "n"), STATUS_LINE_NAME);
    assert_int_equal(strncmp(buf + 9 + STATUS_LINE_NAME, "... on vpn, bad READY=1?%s%n on er;", 35),
                     0);
    assert_non_null(strstr(buf, "; reload refused: line one line two?"));
    json_object_put(doc);

    /* a note longer than the line: cut at the line's end, with "..." */
    memset(note, 'x', sizeof(note) - 1);
    note[sizeof(note) - 1] = '\0';
    status_line(buf, NULL, NULL, 0, note);
    assert_int_equal(strlen(buf), STATUS_LINE_MAX - 1);
    assert_string_equal(buf + STATUS_LINE_MAX - 4, "...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_sites_and_sas),
        cmocka_unit_test(test_many_sites),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
