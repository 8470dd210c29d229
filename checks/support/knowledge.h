/* What the checks know about vLLM / vllm-ascend, per version: the tables of
 * knowledge/vllm-ascend-TAG.json, embedded at build time
 * (tools/embed-knowledge.sh), parsed once, and the choice of the table that
 * judges a node (knowledge/AUDIT.md, "Which table").
 *
 * The version comes from the container's packages (the versions check's
 * probe "container-versions": importlib.metadata of vllm and vllm_ascend),
 * else from the container's image tag ("container-image"), else from the
 * config (deployment.versions.vllm_ascend, then the tag of deployment.image).
 * vllm_ascend 0.0.0 (setuptools_scm without tag metadata) counts as unknown.
 * A version without its own table is judged by the nearest older one (the
 * oldest when it is older than every table); the versions check reports that
 * (KNOWLEDGE_NEAREST). */
#ifndef V4_KNOWLEDGE_H
#define V4_KNOWLEDGE_H

#include <stddef.h>

#include "v4.h"

/* One embedded table: its file name and bytes (NUL-terminated). */
struct kn_blob {
	const char *name;
	const unsigned char *data;
	size_t len;
};
extern const struct kn_blob kn_blobs[]; /* ends with {NULL} */

#define P_KN_PKGS "container-versions"
#define P_KN_IMAGE "container-image"

/* The table judging one node, and why. */
struct kn_pick {
	const cJSON *t;   /* the table; NULL only when no table could be parsed */
	const char *tag;  /* its vllm_ascend tag ("v0.21.0rc1") */
	char *vascend;    /* the vllm_ascend version that chose it (NULL: none known) */
	char *vllm;       /* the installed vllm (NULL: not read) */
	const char *from; /* where vascend came from */
	char *warn;       /* set when the table is not that version's own, and why */
	char *pair_warn;  /* set when the installed vllm is not the table's vllm */
};

/* Adds the probes the choice reads (the versions check's own probes). */
void kn_probes(const struct v4_node *n, const struct v4_ctx *ctx, struct v4_probes *ps);
/* Chooses node n's table (n may be NULL: the config alone). Caller kn_pick_free()s. */
void kn_pick_node(const struct v4_node *n, const struct v4_ctx *ctx, struct kn_pick *out);
void kn_pick_free(struct kn_pick *p);
/* The table for vllm_ascend version v by the lookup rule; *warn (caller frees)
 * set when it is not v's own. NULL when no table parses. */
const cJSON *kn_table_for(const char *v, char **warn);
/* The table of tag exactly ("v0.21.0rc1" or "0.21.0rc1"), or NULL. */
const cJSON *kn_table(const char *tag);
/* The tags of the embedded tables, oldest first, comma-separated (static). */
const char *kn_tags(void);

/* The entry id of list ("additional_config", "crashes", "env", ...), or NULL. */
const cJSON *kn_entry(const cJSON *t, const char *list, const char *id);
/* A string field of an entry, or NULL. */
const char *kn_str(const cJSON *e, const char *field);
/* The entry's source, or "knowledge table: no entry LIST/ID". */
const char *kn_src(const cJSON *t, const char *list, const char *id);
/* additional_config key path ("a.b"): 1 read by this version, 0 listed as not
 * read, -1 not in the table. */
int kn_key_read(const cJSON *t, const char *path);
/* The table's "vllm" tag ("v0.21.0"), or NULL. */
const char *kn_vllm(const cJSON *t);
/* A number field of a defaults entry ("value"), or def. */
double kn_default_num(const cJSON *t, const char *id, double def);

#endif
