/* Prometheus text exposition (format 0.0.4) parser, for vLLM's /metrics.
 * Samples keep names as given (vLLM's "vllm:" colons included); # HELP and
 * # TYPE lines are kept per family; other '#' lines are comments. A line that
 * cannot be read is counted in nerrors (the first one described), never fatal.
 * Blank lines and CRLF are fine. */
#ifndef V4_PROM_H
#define V4_PROM_H

#include <stddef.h>

#define PROM_MAX_TEXT (16u << 20) /* larger input is refused */
#define PROM_MAX_LABELS 64        /* a sample with more is a bad line */
#define PROM_MAX_FAMILIES 1024    /* # HELP / # TYPE of more families are bad lines */

struct prom_label {
	char *name, *value; /* value unescaped (\" \\ \n) */
};

struct prom_sample {
	char *name;
	struct prom_label *labels;
	size_t nlabels;
	double value;  /* +Inf, -Inf and NaN allowed */
	int has_ts;
	long long ts;  /* milliseconds, when has_ts */
};

struct prom_meta {
	char *name;
	char *help;   /* NULL when no # HELP */
	char *type;   /* "counter", "gauge", "histogram", ...; NULL when no # TYPE */
};

struct prom {
	struct prom_sample *s;
	size_t n, cap;
	struct prom_meta *meta;
	size_t nmeta, capmeta;
	size_t nerrors;    /* lines not understood */
	char *first_error; /* "line N: why: text", or NULL */
};

/* Parses text[0..len); 0, or -1 with *err only when the input is NULL or too big. */
int prom_parse(const char *text, size_t len, struct prom *out, char **err);
/* Releases everything and zeroes p. */
void prom_free(struct prom *p);

/* The value of label name on sample s, or NULL. */
const char *prom_label(const struct prom_sample *s, const char *name);
/* The next sample at or after *pos named name (NULL: any) with label=value
 * (label NULL: any); advances *pos past it. NULL when none is left. */
const struct prom_sample *prom_next(const struct prom *p, const char *name, const char *label,
				    const char *value, size_t *pos);
/* The first matching sample, or NULL. */
const struct prom_sample *prom_find(const struct prom *p, const char *name, const char *label,
				    const char *value);
/* How many samples match. */
size_t prom_count(const struct prom *p, const char *name, const char *label, const char *value);
/* The sum of the matching samples' values (0 when none). */
double prom_sum(const struct prom *p, const char *name, const char *label, const char *value);
/* Distinct values of label over samples named name (NULL: all), in first-seen
 * order; *vals (caller frees the array only) points into p. Returns the count. */
size_t prom_label_values(const struct prom *p, const char *name, const char *label,
			 const char ***vals);
/* # TYPE / # HELP of a family, or NULL. */
const char *prom_type(const struct prom *p, const char *family);
const char *prom_help(const struct prom *p, const char *family);

/* The other vLLM generation's name for name (old <-> new, histogram suffixes
 * _bucket/_sum/_count/_created kept), or NULL when it has none. Caller frees. */
char *prom_alias(const char *name);
/* name when p has samples of it, else its alias when p has those, else NULL.
 * The result points into p or is name itself. */
const char *prom_resolve(const struct prom *p, const char *name);
/* prom_sum over whichever of name / its alias is present; *n gets the count. */
double prom_sum_any(const struct prom *p, const char *name, const char *label, const char *value,
		    size_t *n);
/* A histogram's mean (base_sum / base_count) over matching samples, either
 * name generation; NaN when the count is 0 or missing. */
double prom_hist_mean(const struct prom *p, const char *base, const char *label,
		      const char *value);

#endif
