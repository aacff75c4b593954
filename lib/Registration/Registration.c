/*
 * Everything a coopt tool or an embedding compiler registers: upstream's
 * dialects and passes, and coopt's passes.  The one library that depends on
 * all the others, as MLIR's RegisterEverything does, so that no other
 * library needs to know the list of passes.
 */
#include "Transforms/Passes.h"
#include "coopt/coopt.h"

#include <mlir-c/RegisterEverything.h>
#include <pthread.h>

static pthread_once_t upstream_passes_once = PTHREAD_ONCE_INIT;
static void register_upstream_passes(void) { mlirRegisterAllPasses(); }

void cooptRegisterUpstream(MlirDialectRegistry registry) {
  mlirRegisterAllDialects(registry);
  pthread_once(&upstream_passes_once, register_upstream_passes);
}

void cooptRegisterAllPasses(void) {
  pthread_once(&upstream_passes_once, register_upstream_passes);
  cooptRegisterTransformsPasses();
}

MlirContext cooptCreateContext(bool threading) {
  cooptRegisterAllPasses();
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  cooptRegisterUpstream(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, threading);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  return ctx;
}
