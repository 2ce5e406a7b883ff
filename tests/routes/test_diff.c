/*
 * test_diff.c - unit tests (cmocka) of the planner: what a desired state
 * costs against a given kernel mirror (first install, idempotence, a path
 * switch as one group replacement, prefix removal, site removal through its
 * group, adoption after a restart, fail-closed covers), and of the JSON
 * loader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "internal.h"

#define BASE 5000

struct fx {
    struct routes_state *st;
    struct rt_tsite sites[4];
    size_t n_sites;
    struct rt_mirror m;
};

/* site "west": n v4 /32s under 100.64.0.0/16 + one v6; paths er1 (prio 10)
 * and er2 (prio 20) with v4/v6 next hops */
static void build_site(struct fx *f, const char *name, unsigned n, uint8_t third)
{
    char err[256];
    int s = routes_state_add_site(f->st, name, err, sizeof(err));
    struct routes_path_spec p1 = {.name = "er1",
                                  .dev = "er1",
                                  .gateway4 = "198.51.100.1",
                                  .gateway6 = "2001:db8:1::1",
                                  .priority = 10};
    struct routes_path_spec p2 = {.name = "er2",
                                  .dev = "er2",
                                  .gateway4 = "198.51.100.5",
                                  .gateway6 = "2001:db8:2::1",
                                  .priority = 20};
    char v6[64];
    assert_true(s >= 0);
    assert_int_equal(routes_state_add_path(f->st, s, &p1, err, sizeof(err)), 0);
    assert_int_equal(routes_state_add_path(f->st, s, &p2, err, sizeof(err)), 0);
    for (unsigned i = 0; i < n; i++) {
        uint8_t a[4] = {100, 64, third, (uint8_t)i};
        assert_int_equal(routes_state_add_prefix_raw(f->st, s, AF_INET, a, 32, err, sizeof(err)),
                         0);
    }
    snprintf(v6, sizeof(v6), "2001:db8:%x::/48", 0x100 + third);
    assert_int_equal(routes_state_add_prefix(f->st, s, v6, err, sizeof(err)), 0);
}

static void make_targets(struct fx *f)
{
    for (size_t s = 0; s < f->n_sites; s++)
        rt_site_clear(&f->sites[s].spec);
    f->n_sites = f->st->n_sites;
    for (size_t s = 0; s < f->n_sites; s++) {
        struct rt_tsite *t = &f->sites[s];
        uint32_t gid[RT_NFAM], fid[RT_NFAM];
        memcpy(gid, t->gid, sizeof(gid));
        memcpy(fid, t->fid, sizeof(fid));
        memset(t, 0, sizeof(*t));
        memcpy(t->gid, gid, sizeof(gid));
        memcpy(t->fid, fid, sizeof(fid));
        assert_int_equal(rt_site_copy(&t->spec, &f->st->sites[s]), 0);
        for (size_t p = 0; p < t->spec.n_paths; p++) {
            t->health[p] = t->valid[p] = t->usable[p] = true;
            t->oif[p] = (int)p + 2; /* er1 = 2, er2 = 3 */
        }
    }
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->st = routes_state_new();
    rt_mirror_init(&f->m);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (size_t s = 0; s < f->n_sites; s++)
        rt_site_clear(&f->sites[s].spec);
    routes_state_free(f->st);
    rt_mirror_free(&f->m);
    free(f);
    return 0;
}

/* Plays the plan into the mirror as if the kernel acknowledged all of it,
 * and commits group ids, like apply.c does on success. */
static void execute(struct fx *f, struct rt_plan *plan)
{
    for (int ph = 0; ph < RT_NPHASES; ph++) {
        for (size_t i = 0; i < plan->ph[ph].n; i++) {
            const struct rt_op *op = &plan->ph[ph].ops[i];
            switch (op->kind) {
            case RT_OP_NH_ADD:
            case RT_OP_GRP_ADD:
            case RT_OP_GRP_REPLACE:
                rt_mirror_nh_put(&f->m, &plan->nh[op->nh]);
                break;
            case RT_OP_ROUTE_SET:
                rt_rtable_set(&f->m.routes, &op->pfx, op->nhid);
                break;
            case RT_OP_ROUTE_DEL:
                rt_rtable_del(&f->m.routes, &op->pfx);
                break;
            case RT_OP_FB_SET:
                rt_rtable_set(&f->m.fallback, &op->pfx, op->nhid);
                break;
            case RT_OP_FB_DEL:
                rt_rtable_del(&f->m.fallback, &op->pfx);
                break;
            case RT_OP_GRP_DEL:
                rt_rtable_del_nhid(&f->m.routes, op->nhid);
                rt_rtable_del_nhid(&f->m.fallback, op->nhid);
                rt_mirror_nh_del(&f->m, op->nhid);
                break;
            case RT_OP_NH_DEL:
                rt_mirror_nh_del(&f->m, op->nhid);
                break;
            }
        }
    }
    for (size_t s = 0; s < f->n_sites; s++) {
        memcpy(f->sites[s].gid, plan->gid[s], sizeof(f->sites[s].gid));
        memcpy(f->sites[s].fid, plan->fid[s], sizeof(f->sites[s].fid));
    }
}

static size_t plan_with(struct fx *f, struct rt_plan *plan, bool fail_closed)
{
    struct rt_plan_cfg cfg = {.nh_id_base = BASE, .fail_closed = fail_closed};
    assert_int_equal(rt_plan_build(plan, f->sites, f->n_sites, &f->m, &cfg), 0);
    return plan->n_ops;
}

static size_t plan_now(struct fx *f, struct rt_plan *plan)
{
    return plan_with(f, plan, false);
}

static void test_first_install_then_idempotent(void **state)
{
    struct fx *f = *state;
    struct rt_plan plan;
    build_site(f, "west", 200, 1);
    make_targets(f);
    plan_now(f, &plan);
    /* er1/er2 x v4/v6 + 2 blackholes, 2 groups, 201 routes, nothing deleted */
    assert_int_equal(plan.ph[RT_PH_NH].n, 6);
    assert_int_equal(plan.ph[RT_PH_GROUP].n, 2);
    assert_int_equal(plan.ph[RT_PH_ROUTE].n, 201);
    assert_int_equal(
        plan.ph[RT_PH_ROUTE_DEL].n + plan.ph[RT_PH_GROUP_DEL].n + plan.ph[RT_PH_NH_DEL].n, 0);
    /* every id comes from the configured base */
    for (size_t i = 0; i < plan.n_nh; i++)
        assert_true(plan.nh[i].id >= BASE);
    execute(f, &plan);
    rt_plan_free(&plan);
    assert_int_equal(plan_now(f, &plan), 0);
    rt_plan_free(&plan);
}

static void test_switch_is_one_group_replace(void **state)
{
    struct fx *f = *state;
    struct rt_plan plan;
    const struct rt_nh *g;
    build_site(f, "west", 100, 1);
    make_targets(f);
    plan_now(f, &plan);
    execute(f, &plan);
    rt_plan_free(&plan);
    /* er1 fails its health check: er2 takes over */
    f->sites[0].usable[0] = false;
    f->sites[0].health[0] = false;
    assert_int_equal(plan_now(f, &plan), 2); /* one replacement per family */
    assert_int_equal(plan.ph[RT_PH_GROUP].n, 2);
    assert_int_equal(plan.ph[RT_PH_GROUP].ops[0].kind, RT_OP_GRP_REPLACE);
    execute(f, &plan);
    rt_plan_free(&plan);
    g = rt_mirror_nh(&f->m, f->sites[0].gid[RT_FAM_V4]);
    assert_non_null(g);
    assert_int_equal(g->n_members, 1);
    assert_int_equal(rt_mirror_nh(&f->m, g->members[0].id)->oif, 3);
    /* both paths down: blackhole, still one request per family */
    f->sites[0].usable[1] = false;
    f->sites[0].health[1] = false;
    assert_int_equal(plan_now(f, &plan), 2);
    execute(f, &plan);
    rt_plan_free(&plan);
    g = rt_mirror_nh(&f->m, f->sites[0].gid[RT_FAM_V6]);
    assert_int_equal(rt_mirror_nh(&f->m, g->members[0].id)->kind, RT_NH_BLACKHOLE);
}

static void test_ecmp_weights(void **state)
{
    struct fx *f = *state;
    struct rt_plan plan;
    const struct rt_nh *g;
    build_site(f, "west", 10, 1);
    f->st->sites[0].paths[1].priority = 10;
    f->st->sites[0].paths[1].weight = 3;
    make_targets(f);
    plan_now(f, &plan);
    execute(f, &plan);
    rt_plan_free(&plan);
    g = rt_mirror_nh(&f->m, f->sites[0].gid[RT_FAM_V4]);
    assert_int_equal(g->n_members, 2);
    assert_int_equal(g->members[0].weight + g->members[1].weight, 4);
}

/* A ranked site: the rank decides, not the priority; equal ranks share;
 * a path not ranked usable carries nothing; priority 4294967295 is a
 * priority like any other. */
static void test_ranking_selects(void **state)
{
    struct fx *f = *state;
    struct rt_tsite *t;
    int paths[ROUTES_MAX_PATHS];
    build_site(f, "west", 10, 1);
    make_targets(f);
    t = &f->sites[0];
    /* priorities: er1 (10) before er2 (20) */
    assert_int_equal(rt_select_members(t, RT_FAM_V4, paths), 1);
    assert_int_equal(paths[0], 0);
    t->ranked = true;
    t->rank_ok[0] = t->rank_ok[1] = true;
    t->rank[0] = 2;
    t->rank[1] = 1;
    assert_int_equal(rt_select_members(t, RT_FAM_V4, paths), 1);
    assert_int_equal(paths[0], 1);
    t->rank[0] = 1;
    assert_int_equal(rt_select_members(t, RT_FAM_V6, paths), 2);
    t->usable[1] = false; /* (as rt_paths_refresh makes it for !rank_ok) */
    assert_int_equal(rt_select_members(t, RT_FAM_V4, paths), 1);
    assert_int_equal(paths[0], 0);
    t->ranked = false;
    t->usable[1] = true;
    t->spec.paths[0].priority = 4294967295u;
    t->spec.paths[1].priority = 4294967295u;
    assert_int_equal(rt_select_members(t, RT_FAM_V4, paths), 2);
}

/* fail_closed: each site and family gets a cover group holding the
 * blackhole nexthop, each prefix a cover route to it, sent before its group
 * route; a path switch leaves the covers alone; a removed prefix loses both
 * routes; turning the option off removes the cover groups (the covers go
 * with them) and nothing else. */
static void test_fail_closed_covers(void **state)
{
    struct fx *f = *state;
    struct rt_plan plan;
    const struct rt_oplist *r;
    build_site(f, "west", 50, 1);
    make_targets(f);
    plan_with(f, &plan, true);
    assert_int_equal(plan.ph[RT_PH_COVER].n, 2);
    for (int fam = 0; fam < RT_NFAM; fam++) {
        const struct rt_nh *fg = &plan.nh[plan.ph[RT_PH_COVER].ops[fam].nh];
        assert_int_equal(plan.ph[RT_PH_COVER].ops[fam].kind, RT_OP_GRP_ADD);
        assert_int_equal(fg->n_members, 1);
        assert_true(plan.fid[0][fam] >= BASE && plan.fid[0][fam] != plan.gid[0][fam]);
    }
    assert_int_equal(plan.ph[RT_PH_COVER_RESET].n, 0);
    r = &plan.ph[RT_PH_ROUTE];
    assert_int_equal(r->n, 2 * 51);
    for (size_t i = 0; i < r->n; i += 2) {
        int fam = rt_fam_index(r->ops[i].pfx.family);
        assert_int_equal(r->ops[i].kind, RT_OP_FB_SET);
        assert_int_equal(r->ops[i + 1].kind, RT_OP_ROUTE_SET);
        assert_true(rt_prefix_eq(&r->ops[i].pfx, &r->ops[i + 1].pfx));
        assert_int_equal(r->ops[i].site, 0);
        assert_int_equal(r->ops[i].nhid, plan.fid[0][fam]);
    }
    execute(f, &plan);
    rt_plan_free(&plan);
    assert_int_equal(f->m.fallback.count, 51);
    assert_int_equal(rt_mirror_nh(&f->m, f->sites[0].fid[RT_FAM_V4])->kind, RT_NH_GROUP);
    assert_int_equal(plan_with(f, &plan, true), 0);
    rt_plan_free(&plan);

    f->sites[0].usable[0] = false;
    assert_int_equal(plan_with(f, &plan, true), 2);
    assert_int_equal(plan.ph[RT_PH_GROUP].n, 2);
    execute(f, &plan);
    rt_plan_free(&plan);

    /* the last 10 v4 hosts go (the v6 prefix stays) */
    f->st->sites[0].pfx[40] = f->st->sites[0].pfx[50];
    f->st->sites[0].n_pfx = 41;
    f->st->sites[0].n_fam[RT_FAM_V4] = 40;
    make_targets(f);
    f->sites[0].usable[0] = false;
    assert_int_equal(plan_with(f, &plan, true), 20);
    r = &plan.ph[RT_PH_ROUTE_DEL];
    assert_int_equal(r->n, 20);
    for (size_t i = 0; i < r->n; i++)
        assert_int_equal(r->ops[i].site, 0); /* a failing west keeps them */
    execute(f, &plan);
    rt_plan_free(&plan);
    assert_int_equal(f->m.fallback.count, 41);

    /* off: one deletion per cover group, the covers go with them */
    assert_int_equal(plan_with(f, &plan, false), 2);
    assert_int_equal(plan.ph[RT_PH_GROUP_DEL].n, 2);
    execute(f, &plan);
    rt_plan_free(&plan);
    assert_int_equal(f->m.fallback.count, 0);
    assert_int_equal(f->m.routes.count, 41);
}

/* The kernel drops a site's group (its only member's link went down) and
 * every route using it; the covers stay. The next plan moves the site with
 * one request per family -- its cover group takes the new selection, in the
 * first phase that changes groups -- then rebuilds the group and its routes
 * and, in the same pass, makes the cover group a blackhole again. */
static void test_dropped_group_moves_through_cover(void **state)
{
    struct fx *f = *state;
    struct rt_plan plan;
    uint32_t g4, fg4, er2 = 0;
    const struct rt_nh *fg;
    build_site(f, "west", 30, 1);
    make_targets(f);
    plan_with(f, &plan, true);
    execute(f, &plan);
    rt_plan_free(&plan);
    g4 = f->sites[0].gid[RT_FAM_V4];
    fg4 = f->sites[0].fid[RT_FAM_V4];
    for (size_t i = 0; i < f->m.n_nh; i++)
        if (f->m.nh[i].kind == RT_NH_GW && f->m.nh[i].oif == 3 && f->m.nh[i].family == AF_INET)
            er2 = f->m.nh[i].id;
    assert_true(er2 != 0);

    /* what the kernel does on er1 down, as rt_sync_nexthops() sees it */
    for (int fam = 0; fam < RT_NFAM; fam++) {
        rt_rtable_del_nhid(&f->m.routes, f->sites[0].gid[fam]);
        rt_mirror_nh_del(&f->m, f->sites[0].gid[fam]);
    }
    assert_int_equal(f->m.routes.count, 0);
    assert_int_equal(f->m.fallback.count, 31);
    f->sites[0].usable[0] = false;
    f->sites[0].valid[0] = false;

    plan_with(f, &plan, true);
    assert_int_equal(plan.ph[RT_PH_COVER].n, 2);
    fg = &plan.nh[plan.ph[RT_PH_COVER].ops[0].nh];
    assert_int_equal(plan.ph[RT_PH_COVER].ops[0].kind, RT_OP_GRP_REPLACE);
    assert_int_equal(fg->id, fg4);
    assert_int_equal(fg->n_members, 1);
    assert_int_equal(fg->members[0].id, er2);
    /* the group comes back under its id, with every route; no cover moves */
    assert_int_equal(plan.gid[0][RT_FAM_V4], g4);
    assert_int_equal(plan.ph[RT_PH_GROUP].n, 2);
    assert_int_equal(plan.ph[RT_PH_GROUP].ops[0].kind, RT_OP_GRP_ADD);
    assert_int_equal(plan.ph[RT_PH_ROUTE].n, 31);
    for (size_t i = 0; i < plan.ph[RT_PH_ROUTE].n; i++)
        assert_int_equal(plan.ph[RT_PH_ROUTE].ops[i].kind, RT_OP_ROUTE_SET);
    /* after the routes, the cover groups become blackholes again */
    assert_int_equal(plan.ph[RT_PH_COVER_RESET].n, 2);
    fg = &plan.nh[plan.ph[RT_PH_COVER_RESET].ops[0].nh];
    assert_int_equal(plan.ph[RT_PH_COVER_RESET].ops[0].kind, RT_OP_GRP_REPLACE);
    assert_int_equal(fg->id, fg4);
    assert_int_equal(fg->n_members, 1);
    assert_int_equal(rt_mirror_nh(&f->m, fg->members[0].id)->kind, RT_NH_BLACKHOLE);
    execute(f, &plan);
    rt_plan_free(&plan);
    assert_int_equal(rt_mirror_nh(&f->m, fg4)->n_members, 1);
    assert_int_equal(rt_mirror_nh(&f->m, rt_mirror_nh(&f->m, fg4)->members[0].id)->kind,
                     RT_NH_BLACKHOLE);
    /* nothing left to do */
    assert_int_equal(plan_with(f, &plan, true), 0);
    rt_plan_free(&plan);
}

static void test_prefix_and_site_removal(void **state)
{
    struct fx *f = *state;
    struct rt_plan plan;
    uint32_t east_v4;
    build_site(f, "west", 50, 1);
    build_site(f, "east", 30, 2);
    make_targets(f);
    plan_now(f, &plan);
    execute(f, &plan);
    rt_plan_free(&plan);
    east_v4 = f->sites[1].gid[RT_FAM_V4];
    assert_int_equal(f->m.routes.count, 82);
    /* west drops 10 prefixes: exactly 10 deletions */
    f->st->sites[0].n_pfx -= 11; /* last 10 v4 and the v6 one... keep v6: */
    f->st->sites[0].pfx[f->st->sites[0].n_pfx] = f->st->sites[0].pfx[f->st->sites[0].n_pfx + 10];
    f->st->sites[0].n_pfx++;
    f->st->sites[0].n_fam[RT_FAM_V4] -= 10;
    make_targets(f);
    assert_int_equal(plan_now(f, &plan), 10);
    assert_int_equal(plan.ph[RT_PH_ROUTE_DEL].n, 10);
    assert_int_equal(plan.ph[RT_PH_ROUTE_DEL].ops[0].site, 0);
    execute(f, &plan);
    rt_plan_free(&plan);
    /* east disappears: its two groups go (their routes with them), no
     * per-route deletion */
    rt_site_clear(&f->sites[1].spec);
    f->n_sites = 1;
    plan_now(f, &plan);
    assert_int_equal(plan.ph[RT_PH_GROUP_DEL].n, 2);
    assert_int_equal(plan.ph[RT_PH_ROUTE_DEL].n, 0);
    assert_int_equal(plan.ph[RT_PH_ROUTE].n, 0);
    execute(f, &plan);
    rt_plan_free(&plan);
    assert_null(rt_mirror_nh(&f->m, east_v4));
    assert_int_equal(f->m.routes.count, 41);
    f->st->n_sites = 1;
    rt_site_clear(&f->st->sites[1]);
}

static void test_adoption_after_restart(void **state)
{
    struct fx *f = *state;
    struct rt_plan plan;
    uint32_t gid[RT_NFAM];
    build_site(f, "west", 64, 1);
    make_targets(f);
    plan_now(f, &plan);
    execute(f, &plan);
    rt_plan_free(&plan);
    memcpy(gid, f->sites[0].gid, sizeof(gid));
    /* a new process: same kernel (mirror), no committed ids */
    memset(f->sites[0].gid, 0, sizeof(gid));
    assert_int_equal(plan_now(f, &plan), 0);
    assert_int_equal(plan.gid[0][RT_FAM_V4], gid[RT_FAM_V4]);
    assert_int_equal(plan.gid[0][RT_FAM_V6], gid[RT_FAM_V6]);
    rt_plan_free(&plan);
}

static void test_foreign_ids_skipped(void **state)
{
    struct fx *f = *state;
    struct rt_plan plan;
    build_site(f, "west", 1, 1);
    make_targets(f);
    for (uint32_t id = BASE; id < BASE + 5; id++)
        rt_mirror_foreign_add(&f->m, id);
    plan_now(f, &plan);
    for (size_t i = 0; i < plan.n_nh; i++)
        assert_true(plan.nh[i].id >= BASE + 5);
    rt_plan_free(&plan);
}

static void test_json(void **state)
{
    static const char *doc =
        "{\"table\": 2000, \"protocol\": 201, \"flush_on_exit\": true,"
        " \"rules\": [{\"from\": \"100.64.0.0/16\", \"priority\": 900},"
        "             {\"family\": \"ipv6\", \"fwmark\": 7, \"priority\": 901}],"
        " \"sites\": [{\"name\": \"west\", \"prefixes\": [\"203.0.113.0/24\"],"
        "   \"paths\": [{\"name\": \"er\", \"dev\": \"er1\", \"gateway\": \"198.51.100.1\","
        "               \"priority\": 5, \"weight\": 2}]}]}";
    struct routes_options o;
    struct routes_state *st = NULL;
    char err[256];
    (void)state;
    routes_options_init(&o);
    assert_int_equal(routes_load_json_string(doc, &o, &st, err, sizeof(err)), 0);
    assert_int_equal(o.table, 2000);
    assert_int_equal(o.protocol, 201);
    assert_true(o.flush_on_exit);
    assert_int_equal(o.n_rules, 2);
    assert_int_equal(o.rules[0].family, AF_INET);
    assert_string_equal(o.rules[0].from, "100.64.0.0/16");
    assert_int_equal(o.rules[1].fwmark, 7);
    assert_int_equal(st->n_sites, 1);
    assert_int_equal(st->sites[0].paths[0].weight, 2);
    assert_true(st->sites[0].paths[0].has_gw[RT_FAM_V4]);
    assert_false(st->sites[0].paths[0].has_gw[RT_FAM_V6]);
    routes_state_free(st);
    routes_options_free_rules(&o);

    st = NULL;
    assert_int_not_equal(routes_load_json_string("{\"sites\": [{\"name\": \"x\", \"prefix\": []}]}",
                                                 NULL, &st, err, sizeof(err)),
                         0);
    assert_non_null(strstr(err, "sites[0]: unknown key 'prefix'"));
    assert_int_not_equal(
        routes_load_json_string("{\"table\": \"main\"}", &o, NULL, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "'table' must be an integer"));
    assert_int_not_equal(routes_load_json_string("{\"sites\": [", NULL, &st, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "invalid JSON"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_install_then_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_is_one_group_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ecmp_weights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranking_selects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_closed_covers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropped_group_moves_through_cover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_and_site_removal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adoption_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_ids_skipped, setup, teardown),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
