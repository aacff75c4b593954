/*
 * coopt pass table.
 *
 * Every coopt pass is described by one static coopt_pass_info: its pipeline
 * argument, a summary, the op it is anchored on, typed options and a run
 * function.  The table is the single source of truth for the pipeline parser,
 * for `coopt-opt --help` and for docs/Passes.md.
 *
 * MLIR 22's C API cannot register external passes under a textual name, so
 * coopt passes are created by coopt's own pipeline parser (Pipeline.h), which
 * hands every other element to mlirOpPassManagerAddPipeline.
 */
#ifndef COOPT_PASS_H
#define COOPT_PASS_H

#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum coopt_option_kind {
  COOPT_OPT_BOOL,
  COOPT_OPT_INT,        /* int64_t */
  COOPT_OPT_FLOAT,      /* double */
  COOPT_OPT_ENUM,       /* int: index into enum_values */
  COOPT_OPT_STRING,     /* char * (owned, never NULL after defaults) */
  COOPT_OPT_ENUM_LIST,  /* coopt_list of enum indices */
  COOPT_OPT_INT_LIST,   /* coopt_list of int64 */
  COOPT_OPT_FLOAT_LIST, /* coopt_list of double */
  COOPT_OPT_STRING_LIST /* coopt_list of char * */
} coopt_option_kind;

/* A parsed list option.  `items` holds int64_t, double, int or char *
 * depending on the option kind. */
typedef struct coopt_list {
  size_t size;
  void *items;
} coopt_list;

/* Range bounds for INT/FLOAT options (and the elements of their lists). */
typedef struct coopt_range {
  bool has_min, has_max;
  bool min_exclusive, max_exclusive;
  double min, max;
} coopt_range;

typedef struct coopt_option_info {
  const char *name; /* key in `{key=value}` */
  coopt_option_kind kind;
  const char *summary;
  const char *default_text; /* parsed like user text; "" for an empty list */
  coopt_range range;
  const char *const *enum_values; /* NULL-terminated, for ENUM / ENUM_LIST */
  size_t offset;                  /* offsetof() into the pass's options struct */
} coopt_option_info;

/* Result of a pass run. */
typedef enum coopt_pass_result { COOPT_PASS_SUCCESS = 0, COOPT_PASS_FAILURE = 1 } coopt_pass_result;

typedef struct coopt_pass_info coopt_pass_info;

struct coopt_pass_info {
  const char *argument;    /* "coopt-stats" */
  const char *summary;     /* one line */
  const char *description; /* paragraph for --help=passname and docs */
  const char *anchor;      /* op name the pass runs on; NULL = any op */
  const coopt_option_info *options;
  size_t num_options;
  size_t options_size; /* sizeof the options struct */
  /* Cross-option checks after parsing; write a message and return false to
   * reject the pipeline.  May be NULL. */
  bool (*validate)(const void *options, char *msg, size_t msg_size);
  coopt_pass_result (*run)(MlirOperation op, const void *options);
  /* Named pipelines: when non-NULL, the pass is a pipeline that expands to
   * other elements.  `expand` writes the textual elements for the given
   * options into buf (NUL-terminated) and returns false on overflow. */
  bool (*expand)(const void *options, char *buf, size_t buf_size);
};

/* Make a pass known to cooptLookupPass and the pipeline parser (its info
 * must outlive the process's use of it; static in practice).  Registering
 * the same info twice is a no-op; false when another pass already has its
 * argument or the registry is full.  cooptRegisterAllPasses (coopt.h)
 * registers every coopt pass and pipeline. */
bool cooptRegisterPass(const coopt_pass_info *info);
/* The registered passes and pipelines, in registration (--help) order. */
const coopt_pass_info *const *cooptGetPasses(size_t *count);
/* Look a pass up by its argument; NULL when unknown. */
const coopt_pass_info *cooptLookupPass(const char *argument, size_t length);

/* Options: allocate `info->options_size` bytes holding the defaults. */
void *cooptPassOptionsCreateDefault(const coopt_pass_info *info);
void *cooptPassOptionsClone(const coopt_pass_info *info, const void *options);
void cooptPassOptionsDestroy(const coopt_pass_info *info, void *options);

/* Parse `text` (the inside of `{...}`) into `options`, which already holds
 * defaults.  On error returns false, sets *err_offset to the byte offset in
 * `text` and writes a message. */
bool cooptPassOptionsParse(const coopt_pass_info *info, void *options, const char *text, size_t length,
                           size_t *err_offset, char *msg, size_t msg_size);

/* Print all options as `key=value ...` (canonical form used by
 * --dump-pass-pipeline and re-parsable). */
void cooptPassOptionsPrint(const coopt_pass_info *info, const void *options, MlirStringCallback callback,
                           void *user_data);
/* Print one option's type, e.g. "float in [0, 1)" or "enum table|json". */
void cooptOptionPrintType(const coopt_option_info *opt, MlirStringCallback callback, void *user_data);

/* Create the MlirPass for a coopt pass with parsed options (cloned). */
MlirPass cooptCreatePass(const coopt_pass_info *info, const void *options);

#ifdef __cplusplus
}
#endif

#endif /* COOPT_PASS_H */
