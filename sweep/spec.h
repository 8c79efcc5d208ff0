/*
 * spec.h - sweep specifications: a base run plus axes to vary, parsed
 * from a small JSON file (docs/sweeps.md), and the enumeration of the
 * runs they describe.
 *
 * A spec names a base run (the options of `sparseserve sim`: trace,
 * model, profile, policy, config keys ...) and a list of axes. Each axis
 * varies one parameter: a run field ("policy", "rate_scale", ...), any
 * config key ("mem.hbm_budget_gb", ...), or a free variable that base
 * strings use as "{name}" (e.g. a synthetic trace's rate). Axes combine
 * as a cartesian product (default) or zipped; a "zip" group inside the
 * product zips a few axes together. Every point is repeated
 * `repetitions` times with different seeds.
 *
 * Numbering (fixed, documented, independent of how runs are executed):
 *   run = rep * npoints + point,   point = row-major index over the axis
 *   groups (first group slowest, last fastest).
 * Seeds: seed(run) depends only on the spec's seed, the repetition and
 * the point's coordinates on the seed axes (all axes unless the spec
 * lists "seed_axes"), through a splitmix64 chain; so results never
 * depend on the number of workers or ranks.
 *
 * Validation is done once at parse time: JSON syntax (line and column),
 * unknown fields, wrong types, bad ranges, unknown policies, config keys
 * and out-of-range config values, unused or undefined "{name}"
 * variables, zip groups of unequal length, too many runs. Every message
 * names the spec file and the field ("spec.json: axes[1].values[2]: ...").
 * What only a run can tell (a trace file that does not load, a model
 * that does not fit an HBM budget) is that run's error, recorded in the
 * results.
 */
#ifndef SS_SWEEP_SPEC_H
#define SS_SWEEP_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "sim/config.h"
#include "ss.h"

#define SWEEP_MAX_AXES 32
#define SWEEP_MAX_RUNS UINT64_C(10000000) /* 1e7 runs per spec */
#define SWEEP_NAME_MAX 64                 /* axis name length, bytes */

/* The run fields of `sparseserve sim` a spec can set or vary. */
enum sweep_field {
	SWEEP_TRACE,      /* --trace: file or synthetic spec (string) */
	SWEEP_FORMAT,     /* --format (string) */
	SWEEP_MODEL,      /* --model (string) */
	SWEEP_PROFILE,    /* --profile (string) */
	SWEEP_POLICY,     /* --policy: one name of pol_presets (string) */
	SWEEP_WINDOW,     /* --window "START:END" seconds (string) */
	SWEEP_CONFIG,     /* --config: JSON file of config keys (string) */
	SWEEP_SELECTION,  /* --selection: DSA selection source (string) */
	SWEEP_RATE_SCALE, /* --rate-scale (number > 0) */
	SWEEP_MAX_PROMPT, /* --max-prompt (positive integer, tokens) */
	SWEEP_LIMIT,      /* --limit (positive integer, requests) */
	SWEEP_NFIELDS,
};
/* JSON name of a field ("trace", "rate_scale", ...). */
const char *sweep_field_name(enum sweep_field f);

enum sweep_kind {
	SWEEP_K_FIELD, /* a run field (enum sweep_field) */
	SWEEP_K_KEY,   /* a config key of sim/config.h */
	SWEEP_K_VAR,   /* a free variable, used as {name} in base strings */
};

/* One value of an axis; `text` is canonical (numbers: shortest %g that
 * reads back exactly), used for substitution, --set and CSV. */
struct sweep_value {
	int is_num;
	double num;  /* when is_num */
	char *text;  /* malloc'd */
};

struct sweep_axis {
	char name[SWEEP_NAME_MAX];
	enum sweep_kind kind;
	enum sweep_field field;  /* SWEEP_K_FIELD only */
	struct sweep_value *v;   /* values, n >= 1 */
	size_t n;
	uint32_t group;          /* axes of one zip group share it */
	int seeds;               /* 1: the axis changes the run's seed */
};

struct sweep_spec {
	char origin[512];        /* file name for messages */
	char *canon;             /* the spec as compact JSON: its identity */
	uint64_t hash;           /* FNV-1a 64 of canon */
	char name[128];          /* "name", default: file stem */
	char *out;               /* "out" or NULL */
	uint64_t seed;           /* "seed" (default 1) */
	uint32_t reps;           /* "repetitions" (default 1) */
	char *base[SWEEP_NFIELDS]; /* base values as text, NULL: unset */
	int skip_bad;            /* base "skip_bad" */
	char **sets;             /* base "set" as "key=value", file order */
	size_t nsets;
	struct sweep_axis axes[SWEEP_MAX_AXES];
	size_t naxes;
	uint32_t ngroups;
	uint64_t group_len[SWEEP_MAX_AXES]; /* values per group */
	uint64_t npoints;        /* product of group lengths */
	uint64_t nruns;          /* npoints * reps */
};

/*
 * Parse spec JSON `text`; `origin` names it in messages. On success *s
 * owns its memory (sweep_spec_release). On error *s is left released and
 * err says "ORIGIN: FIELD: what is wrong" (SS_EINVAL, SS_ENOMEM).
 */
int sweep_spec_parse(struct sweep_spec *s, const char *text,
		     const char *origin, struct ss_err *err);
/* Read and parse the file `path` (SS_EIO if it cannot be read). */
int sweep_spec_load(struct sweep_spec *s, const char *path,
		    struct ss_err *err);
void sweep_spec_release(struct sweep_spec *s);

/* Where one run sits: its point, repetition, seed and value indices. */
struct sweep_point {
	uint64_t run, point;
	uint32_t rep;
	uint64_t seed;                /* in [1, 2^53) */
	uint32_t idx[SWEEP_MAX_AXES]; /* value index per axis */
};
/* Fill *p for run 0 <= run < s->nruns (BUG beyond). */
void sweep_point_get(const struct sweep_spec *s, uint64_t run,
		     struct sweep_point *p);

/* Everything `sparseserve sim` would be given for one run, resolved. */
struct sweep_run {
	struct sweep_point pt;
	char *field[SWEEP_NFIELDS]; /* substituted text, NULL: unset */
	double rate_scale;          /* 1: unchanged */
	uint64_t max_prompt, limit; /* 0: unset */
	double win_start, win_end;  /* seconds; win_end < 0: no window */
	int skip_bad;
	struct sim_config cfg;      /* defaults, config file, base set, axes */
};
/*
 * Resolve run `run`: substitute {variables}, apply fields and config keys.
 * Errors (a config file that does not load, a substituted number that no
 * longer parses) name the spec, the run and the field. sweep_run_release
 * frees it (also after an error).
 */
int sweep_run_resolve(const struct sweep_spec *s, uint64_t run,
		      struct sweep_run *r, struct ss_err *err);
void sweep_run_release(struct sweep_run *r);

/* Shortest "%.Ng" text of x that reads back exactly (N = 1..17). */
void sweep_fmt_double(double x, char *buf, size_t len);

#endif
