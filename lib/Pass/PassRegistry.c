/*
 * The pass table and the glue that turns a coopt_pass_info plus parsed
 * options into an MLIR external pass.
 */
#include "coopt/Pass.h"
#include "../Support/Support.h"
#include "PassTable.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const coopt_pass_info *const *cooptGetPasses(size_t *count) {
  *count = coopt_num_passes;
  return coopt_pass_table;
}

const coopt_pass_info *cooptLookupPass(const char *argument, size_t length) {
  for (size_t i = 0; i < coopt_num_passes; ++i)
    if (coopt_str_eq(argument, length, coopt_pass_table[i]->argument))
      return coopt_pass_table[i];
  return NULL;
}

/* One TypeID per pass kind, allocated once per process.  MLIR uses the TypeID
 * to tell passes apart (statistics, timing, instrumentation), so every
 * instance of one pass must share it. */
static pthread_once_t typeid_once = PTHREAD_ONCE_INIT;
static MlirTypeID *pass_typeids;
/* The allocator owns the storage behind the ids: it lives for the process,
 * held here so that leak checkers see it as reachable. */
static MlirTypeIDAllocator typeid_allocator;

static void allocate_typeids(void) {
  typeid_allocator = mlirTypeIDAllocatorCreate();
  pass_typeids = coopt_xcalloc(coopt_num_passes, sizeof(MlirTypeID));
  for (size_t i = 0; i < coopt_num_passes; ++i)
    pass_typeids[i] = mlirTypeIDAllocatorAllocateTypeID(typeid_allocator);
}

static MlirTypeID typeid_for(const coopt_pass_info *info) {
  pthread_once(&typeid_once, allocate_typeids);
  for (size_t i = 0; i < coopt_num_passes; ++i)
    if (coopt_pass_table[i] == info)
      return pass_typeids[i];
  abort(); /* not in the table: a programming error */
}

typedef struct pass_state {
  const coopt_pass_info *info;
  void *options;
} pass_state;

static void state_construct(void *user_data) { (void)user_data; }

static void state_destruct(void *user_data) {
  pass_state *s = user_data;
  cooptPassOptionsDestroy(s->info, s->options);
  free(s);
}

static void *state_clone(void *user_data) {
  /* MLIR clones passes for every thread of a nested pass manager; each clone
   * owns its options. */
  const pass_state *s = user_data;
  pass_state *c = coopt_xmalloc(sizeof *c);
  c->info = s->info;
  c->options = cooptPassOptionsClone(s->info, s->options);
  return c;
}

static void state_run(MlirOperation op, MlirExternalPass pass, void *user_data) {
  pass_state *s = user_data;
  if (s->info->run(op, s->options) != COOPT_PASS_SUCCESS)
    mlirExternalPassSignalFailure(pass);
}

MlirPass cooptCreatePass(const coopt_pass_info *info, const void *options) {
  pass_state *s = coopt_xmalloc(sizeof *s);
  s->info = info;
  s->options = cooptPassOptionsClone(info, options);
  MlirExternalPassCallbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.construct = state_construct;
  cb.destruct = state_destruct;
  cb.clone = state_clone;
  cb.run = state_run;
  MlirStringRef arg = mlirStringRefCreateFromCString(info->argument);
  MlirStringRef anchor = mlirStringRefCreateFromCString(info->anchor ? info->anchor : "");
  return mlirCreateExternalPass(typeid_for(info), arg, arg,
                                mlirStringRefCreateFromCString(info->summary), anchor, 0, NULL, cb, s);
}
