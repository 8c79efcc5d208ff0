/*
 * embedded.h - JSON files compiled into the binary by scripts/embed.py
 * (shipped model configs and hardware profiles), found by name.
 * The tables end with { NULL, NULL }; the texts are NUL-terminated.
 */
#ifndef SS_MODEL_EMBEDDED_H
#define SS_MODEL_EMBEDDED_H

struct ss_embedded {
	const char *name; /* file stem, e.g. "lwm-7b" */
	const char *text; /* the file's bytes */
};

extern const struct ss_embedded model_embedded[];
extern const struct ss_embedded hw_profile_embedded[];

/* The text of `name` in `table`, or NULL. */
const char *ss_embedded_find(const struct ss_embedded *table, const char *name);

#endif
