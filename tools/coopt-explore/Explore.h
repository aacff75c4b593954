/*
 * coopt-explore: the deployment tree as a tool.
 *
 * The parent process plans the tree, runs every node as a child process of
 * itself (`--leaf=NAME`), and merges the children's leaf.json files into the
 * results and the report.  A node's model is its parent's model plus one
 * stage (a pipeline fragment), so a shared prefix (the pruned model under
 * PQAT and PCQAT) is computed once and read back from the work directory by
 * every node below it.  A child is also a self-contained command line
 * (--plan), so a tree can be spread over machines and merged with
 * --collect.
 */
#ifndef COOPT_TOOLS_EXPLORE_H
#define COOPT_TOOLS_EXPLORE_H

#include "Support/Support.h"

#include <stdbool.h>
#include <stdint.h>

#define EXPLORE_NAME_MAX 48

/* One node of the tree: a stage applied to its parent's model (the float
 * model for parent -1).  Its leaf is that model deployed: lowered to int8
 * when any stage of its chain ends in coopt-fake-quant, put on coopt's
 * kernels and compiled to an object. */
typedef struct explore_node {
  char name[EXPLORE_NAME_MAX];
  int level;   /* 0..9; the float baseline is -1 */
  int parent;  /* index into the tree, -1 = the float model */
  char *stage; /* pipeline elements; $CAL stands for the calibration data options */
  int line;    /* in the tree spec (0 = the built-in tree) */
} explore_node;

struct explore_options;
typedef struct explore_tree {
  explore_node *nodes; /* nodes[0] is the float baseline "float" (no stage) */
  int count;
} explore_tree;

/* Parse a tree spec (see docs/Explore.md); `path` names it in messages
 * ("path:line:col: error: ...").  text NULL: the built-in tree. */
bool explore_tree_parse(const char *path, const char *text, explore_tree *out, coopt_buf *err);
void explore_tree_free(explore_tree *t);
extern const char explore_default_tree[];
/* The node's chain of stages from the float model, with $CAL expanded to
 * `cal`, as one pipeline "builtin.module(a,b,...)" (an empty chain gives
 * "builtin.module()"). */
char *explore_chain_pipeline(const explore_tree *t, int node, const char *cal);
/* Append `stage` to out with $CAL replaced by `cal`. */
void explore_expand_stage(const char *stage, const char *cal, coopt_buf *out);
/* The chain as reported (results, leaf.json): $CAL as
 * "data=calibration.npy samples=<n>", the file written beside the results. */
char *explore_shown_pipeline(const struct explore_options *o, const explore_tree *t, int node);
/* Whether the node's chain quantizes (a stage runs coopt-fake-quant). */
bool explore_chain_quantized(const explore_tree *t, int node);
int explore_tree_find(const explore_tree *t, const char *name);

/* The targets; NAN = not given. */
typedef struct explore_targets {
  double max_drop, min_accuracy, max_bytes, max_ratio, max_latency_us;
} explore_targets;

typedef struct explore_options {
  const char *model, *data, *labels, *out, *tree_path, *target, *mcpu, *mattr, *strategy, *leaf, *work;
  const char *objective; /* coopt-lower-kernels objective for the leaves */
  bool has_norm, plan, quiet;
  double mean, std;
  explore_targets targets;
  int jobs, repeats;
  int64_t calibration, validation, test;
  const char **collect;
  int num_collect;
} explore_options;

/* A weight-value histogram of one layer (the report's density plots). */
#define EXPLORE_BINS 48
typedef struct explore_density {
  char layer[128];
  double lo, hi;
  int64_t bins[EXPLORE_BINS], zeros, count, distinct;
} explore_density;

/* What a leaf job reports (leaf.json). */
typedef struct explore_leaf {
  char name[EXPLORE_NAME_MAX], parent[EXPLORE_NAME_MAX];
  int level;
  int64_t calibration_items;
  char *pipeline; /* the chain as run, with data=calibration.npy */
  char *error;    /* NULL when the leaf was built and evaluated */
  bool quantized, evaluated, latency_estimated;
  double accuracy, fake_accuracy, test_accuracy; /* percent; fake: NAN for float leaves */
  int64_t bytes, text_bytes, validation_images, test_images;
  double latency_us, host_latency_us, compile_s;
  char kernels[512];
  explore_density density;
  bool has_density;
} explore_leaf;

void explore_leaf_free(explore_leaf *l);
bool explore_leaf_write(const char *path, const explore_leaf *l, char *err, size_t err_size);
bool explore_leaf_read(const char *path, explore_leaf *l, char *err, size_t err_size);

/* Monotonic seconds. */
double explore_now(void);

/* Leaf job: build, evaluate and write dir/leaf.json (+ leaf.mlir, leaf.o,
 * leaf.h).  Returns the exit code. */
int explore_run_leaf(const explore_options *o, const explore_tree *t, int node, const char *dir);
/* Import or parse the model (a classifier: one f32 input), load the data,
 * and write the model as bytecode to `model_path` and the calibration split
 * as .npy to `calibration_path` (training items [0, train - validation),
 * `calibration` of them spread evenly, normalised).  The model and the
 * data are read once. */
bool explore_prepare(const explore_options *o, const char *model_path, const char *calibration_path);

/* Results: choose a leaf, write results.json, results.md and report.html
 * (to the given paths). */
typedef struct explore_results {
  explore_leaf *leaves;
  int count;
  int chosen;     /* index or -1 */
  int baseline;   /* the float leaf, -1 if missing */
  int reference;  /* the size reference (level-0 leaf, else the float one), -1 */
  bool *meets;    /* per leaf */
  char why[1024]; /* when nothing is chosen: which target failed */
} explore_results;

void explore_choose(const explore_options *o, explore_results *r);
bool explore_leaf_meets(const explore_options *o, const explore_results *r, int i, char *why, size_t why_size);
double explore_accuracy_drop(const explore_results *r, int i);
double explore_size_ratio(const explore_results *r, int i);
void explore_write_json(const explore_options *o, const explore_results *r, coopt_buf *out);
void explore_write_markdown(const explore_options *o, const explore_results *r, coopt_buf *out);
void explore_write_html(const explore_options *o, const explore_results *r, coopt_buf *out);

#endif
