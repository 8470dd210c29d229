/* clock: the nodes' clocks agree with each other, and NTP keeps them so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define FINDINGS(F)                                                                                 \
	F(OK, PASS, "the node's clock is within warn_s of the cluster's median clock")              \
	F(CLOCK_SKEW, FAIL, "the node's clock is more than fail_s off the cluster's median clock")  \
	F(CLOCK_DRIFT, WARN, "the node's clock is more than warn_s off the cluster's median clock") \
	F(NTP_UNSYNCED, WARN, "timedatectl says the clock is not NTP-synchronised")                 \
	F(SINGLE_NODE, SKIP, "only one node's clock could be read: nothing to compare")             \
	F(PROBE_FAILED, ERROR, "date +%s.%N could not be read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"fail_s", 2, "offset from the cluster's median clock, in seconds, that fails"},
	{"warn_s", 0.5, "offset from the cluster's median clock, in seconds, that warns"},
	{NULL, 0, NULL},
};

#define P_DATE "date"
#define P_NTP "ntp-sync"

static void clock_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			 struct v4_probes *ps)
{
	v4_probe_add(ps, P_DATE, -1, 0, "date +%%s.%%N");
	v4_probe_add(ps, P_NTP, -1, 0, "timedatectl show -p NTPSynchronized --value");
}

/* One node's reading. */
struct reading {
	int ok;
	double clock; /* seconds since the epoch, as the node printed them */
	double t;     /* what is compared: clock, or its offset from the controller's */
	double ms;    /* uncertainty of t, in ms */
};

/* Parses the node's `date +%s.%N` (busybox may print a literal %N: whole
 * seconds then). -1 and *why when unusable. */
static int read_date(const struct v4_node *n, struct reading *r, char **why)
{
	const struct v4_fact *f = v4_fact_ok(n, P_DATE, 0, why);
	char *end;
	if (!f)
		return -1;
	r->t = strtod(f->out, &end);
	if (end == f->out || !(r->t >= 1e9 && r->t < 1e11)) {
		*why = xasprintf("%s: not a time: '%.40s'", f->cmd, f->out);
		return -1;
	}
	r->clock = r->t;
	r->ms = f->ms;
	if (f->at0 > 0 && f->at1 >= f->at0) {
		/* the node read its clock while the controller's clock went from
		 * at0 to at1: compare offsets from the controller, which removes
		 * the moments at which nodes were probed */
		r->t -= (f->at0 + f->at1) / 2;
		r->ms = (f->at1 - f->at0) * 1000.0;
	}
	r->ok = 1;
	return 0;
}

/* 1 synchronised, 0 not, -1 unknown (no timedatectl, no systemd). */
static int ntp_state(const struct v4_node *n)
{
	const struct v4_fact *f = v4_fact(n, P_NTP);
	if (!f || f->state != V4_FACT_OK || f->exit_code != 0)
		return -1;
	if (starts_with(f->out, "yes"))
		return 1;
	return starts_with(f->out, "no") ? 0 : -1;
}

/* |x|. */
static double dabs(double x)
{
	return x < 0 ? -x : x;
}

/* Compares doubles for qsort. */
static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Index of the node holding the lower median time among readable ones, or -1. */
static int median_node(const struct reading *r, size_t nn, size_t *nok)
{
	double *v = xcalloc(nn ? nn : 1, sizeof *v);
	*nok = 0;
	for (size_t i = 0; i < nn; i++)
		if (r[i].ok)
			v[(*nok)++] = r[i].t;
	int idx = -1;
	if (*nok) {
		qsort(v, *nok, sizeof *v, cmp_dbl);
		double m = v[(*nok - 1) / 2];
		for (size_t i = 0; i < nn && idx < 0; i++)
			if (r[i].ok && r[i].t == m)
				idx = (int)i;
	}
	free(v);
	return idx;
}

/* Judges node i's offset from the reference node ref. */
static void judge_offset(const struct v4_rep *h, const struct reading *r, const struct reading *ref,
			 const char *ref_name)
{
	double off = r->t - ref->t, margin = (r->ms + ref->ms) / 1000.0;
	double judged = dabs(off) - margin > 0 ? dabs(off) - margin : 0;
	double fail = v4_param(h->ctx, h->check, "fail_s"), warn = v4_param(h->ctx, h->check, "warn_s");
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "time", r->clock);
	cJSON_AddNumberToObject(ev, "offset_s", off);
	cJSON_AddNumberToObject(ev, "uncertainty_s", margin);
	cJSON_AddStringToObject(ev, "reference_node", ref_name);
	const char *dir = off > 0 ? "ahead of" : "behind";
	if (judged > fail)
		v4_say(h, CLOCK_SKEW, ev,
		       "clock %.2f s %s the cluster's median clock (limit %.1f s): TLS certificates "
		       "look not yet valid (EJ0001) and HCCL timeouts misfire", dabs(off), dir, fail);
	else if (judged > warn)
		v4_say(h, CLOCK_DRIFT, ev,
		       "clock %.2f s %s the cluster's median clock (warn above %.1f s)", dabs(off), dir, warn);
	else
		v4_say(h, OK, ev,
		       "clock within %.1f s of the cluster's median clock", warn);
}

/* Reports an unsynchronised clock. */
static void judge_ntp(const struct v4_rep *h, const struct v4_node *n)
{
	if (ntp_state(n) == 0)
		v4_say(h, NTP_UNSYNCED, NULL,
		       "clock not NTP-synchronised (timedatectl NTPSynchronized=no): it will drift");
}

static void clock_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	struct reading *r = xcalloc(nn ? nn : 1, sizeof *r);
	for (size_t i = 0; i < nn; i++) {
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		char *why = NULL;
		if (read_date(nodes[i], &r[i], &why) != 0)
			v4_say(&hn, PROBE_FAILED, NULL, "could not read the clock: %s", why);
		free(why);
		judge_ntp(&hn, nodes[i]);
	}
	size_t nok;
	int ref = median_node(r, nn, &nok);
	for (size_t i = 0; i < nn; i++) {
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		if (!r[i].ok)
			continue;
		if (nok < 2)
			v4_say(&hn, SINGLE_NODE, NULL, "no other node's clock to compare with");
		else
			judge_offset(&hn, &r[i], &r[ref], nodes[ref]->name);
	}
	free(r);
}

const struct v4_check v4_check_clock = {
	.id = "clock",
	.tier = V4_TIER_QUICK,
	.cost_ms = 70, /* bench/tiers.sh: alone on one node */
	.title = "Node clocks agree (within 0.5 s warn, 2 s fail) and are NTP-synchronised",
	.explain =
		"Symptom: HCCL TLS or the API's HTTPS fails with EJ0001 \"certificate is not yet\n"
		"  valid\" on one node, HCCL connect timeouts fire early or late, logs of the\n"
		"  nodes cannot be lined up.\n"
		"Cause: a node's clock is off: NTP (chrony / systemd-timesyncd) is not running\n"
		"  or cannot reach its server, or the clock was set by hand.\n"
		"Fix: enable NTP on every node against the same server (timedatectl\n"
		"  set-ntp true, or chronyc makestep after fixing chrony.conf), then check again.\n"
		"Precision: over SSH each node's `date +%s.%N` is placed in the window of the\n"
		"  controller's clock in which it ran, and the nodes' offsets from the\n"
		"  controller are compared with the median node's; an offset only counts\n"
		"  beyond the two windows' lengths (the uncertainty in the evidence), so the\n"
		"  moment each node was probed does not matter. A node's own report (--local)\n"
		"  places the reading in the window of the node's own clock: `merge` of such\n"
		"  reports judges each node within its own run, however far apart the runs\n"
		"  were, but a node's clock then has nothing outside it to be compared with\n"
		"  (only NTP_UNSYNCED is seen): skew between nodes is measured by a run over\n"
		"  SSH from one controller. With one node there is nothing to compare.",
	.probes_doc = "date +%s.%N; timedatectl show -p NTPSynchronized --value (a node without "
		      "timedatectl is not an error)",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = clock_probes,
	.evaluate = clock_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
