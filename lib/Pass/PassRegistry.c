/*
 * The registry of coopt passes, and the glue that turns a coopt_pass_info
 * plus parsed options into an MLIR external pass.
 *
 * The registry is filled at run time (cooptRegisterPass; the passes of
 * lib/Transforms through cooptRegisterAllPasses) rather than linked in as
 * a table, so that this library, the pipeline parser and the options
 * parser depend on no pass: lib/Transforms builds on lib/Pass, never the
 * reverse.
 */
#include "Support/Support.h"
#include "coopt/Pass.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A fixed capacity, so that cooptGetPasses can hand out the array while
 * another thread registers: slots are written once, then published by the
 * count. */
enum { MAX_PASSES = 256 };
static const coopt_pass_info *registered[MAX_PASSES];
/* One TypeID per pass kind, allocated at registration.  MLIR uses the
 * TypeID to tell passes apart (statistics, timing, instrumentation), so
 * every instance of one pass must share it. */
static MlirTypeID typeids[MAX_PASSES];
static _Atomic size_t num_registered;
static pthread_mutex_t register_lock = PTHREAD_MUTEX_INITIALIZER;
/* The allocator owns the storage behind the ids: it lives for the process,
 * held here so that leak checkers see it as reachable. */
static MlirTypeIDAllocator typeid_allocator;

static ptrdiff_t index_of(const coopt_pass_info *info) {
  size_t n = atomic_load(&num_registered);
  for (size_t i = 0; i < n; ++i)
    if (registered[i] == info)
      return (ptrdiff_t)i;
  return -1;
}

bool cooptRegisterPass(const coopt_pass_info *info) {
  pthread_mutex_lock(&register_lock);
  bool ok = true;
  if (index_of(info) < 0) {
    size_t n = atomic_load(&num_registered);
    const coopt_pass_info *same = cooptLookupPass(info->argument, strlen(info->argument));
    if (n == MAX_PASSES || same) {
      ok = false; /* full, or a different pass under this name */
    } else {
      if (!typeid_allocator.ptr)
        typeid_allocator = mlirTypeIDAllocatorCreate();
      registered[n] = info;
      typeids[n] = mlirTypeIDAllocatorAllocateTypeID(typeid_allocator);
      atomic_store(&num_registered, n + 1);
    }
  }
  pthread_mutex_unlock(&register_lock);
  return ok;
}

const coopt_pass_info *const *cooptGetPasses(size_t *count) {
  *count = atomic_load(&num_registered);
  return registered;
}

const coopt_pass_info *cooptLookupPass(const char *argument, size_t length) {
  size_t n = atomic_load(&num_registered);
  for (size_t i = 0; i < n; ++i)
    if (coopt_str_eq(argument, length, registered[i]->argument))
      return registered[i];
  return NULL;
}

static MlirTypeID typeid_for(const coopt_pass_info *info) {
  if (index_of(info) < 0 && !cooptRegisterPass(info))
    abort(); /* a second pass under a registered name: a programming error */
  return typeids[index_of(info)];
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
  return mlirCreateExternalPass(typeid_for(info), arg, arg, mlirStringRefCreateFromCString(info->summary), anchor, 0,
                                NULL, cb, s);
}
