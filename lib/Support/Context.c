#include "coopt/coopt.h"

#include <mlir-c/RegisterEverything.h>
#include <pthread.h>

static pthread_once_t passes_once = PTHREAD_ONCE_INIT;
static void register_passes(void) { mlirRegisterAllPasses(); }

void cooptRegisterUpstream(MlirDialectRegistry registry) {
  mlirRegisterAllDialects(registry);
  pthread_once(&passes_once, register_passes);
}

MlirContext cooptCreateContext(bool threading) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  cooptRegisterUpstream(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, threading);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  return ctx;
}
