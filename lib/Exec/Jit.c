#define _GNU_SOURCE
/*
 * JIT execution of a TOSA module through MLIR's ExecutionEngine.
 *
 * Note on buffer-deallocation-pipeline: without it the bufferized code
 * mallocs every intermediate tensor on each call and never frees it (the
 * recipe in the developers' notes leaks ~115 MB per batch-100 DS-CNN call).
 *
 * The lowering is upstream's (the recipe in the developers' notes): TOSA ->
 * linalg/arith/tensor, one-shot bufferization with identity layouts at the
 * function boundary, results turned into out-parameters so the caller owns
 * every buffer, loops, then LLVM.  The entry is called through the packed
 * wrapper of its C interface (mlirExecutionEngineInvokePacked adds the
 * _mlir_ciface_ prefix): one pointer per memref descriptor, outputs last.
 */
#include "Exec/PlanBuffers.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "coopt/Exec.h"
#include "coopt/Pipeline.h"

#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Pass.h>
#include <mlir-c/RegisterEverything.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Two stages: tensors (TOSA to linalg, folded), then buffers to LLVM.
 * Between them copy_repeated_results runs on the folded tensor IR. */
#define JIT_TENSOR_STAGE                                                                                               \
  "func.func(tosa-optional-decompositions,tosa-infer-shapes,tosa-to-linalg-named,tosa-to-linalg,"                      \
  "tosa-to-arith{include-apply-rescale},tosa-to-tensor,linalg-fuse-elementwise-ops),canonicalize"
#define JIT_BUFFERIZE_STAGE                                                                                            \
  "one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},"           \
  "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}"
/* Between bufferization and deallocation coopt-plan-buffers (PlanBuffers.h)
 * gives the intermediates and the kernels' results one arena. */
#define JIT_DEALLOC_STAGE "buffer-deallocation-pipeline"
#define JIT_LLVM_STAGE                                                                                                 \
  "func.func(convert-linalg-to-loops),expand-strided-metadata,lower-affine,convert-scf-to-cf,"                         \
  "convert-math-to-libm,finalize-memref-to-llvm,convert-math-to-llvm,convert-arith-to-llvm,convert-cf-to-llvm,"        \
  "convert-func-to-llvm,convert-index-to-llvm,reconcile-unrealized-casts"
/* What coopt-runner --print-jit-pipeline shows (coopt-opt runs it). */
#define JIT_BUFFER_STAGE JIT_BUFFERIZE_STAGE ",coopt-plan-buffers," JIT_DEALLOC_STAGE "," JIT_LLVM_STAGE
const char *const coopt_jit_pipeline = "builtin.module(" JIT_TENSOR_STAGE "," JIT_BUFFER_STAGE ")";

static bool tensor_type_of(MlirType t, coopt_tensor_type *out) {
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t))
    return false;
  intptr_t r = mlirShapedTypeGetRank(t);
  if (r > COOPT_MAX_RANK)
    return false;
  MlirType e = mlirShapedTypeGetElementType(t);
  if (mlirTypeIsAF32(e))
    out->dtype = COOPT_F32;
  else if (mlirTypeIsAInteger(e)) {
    unsigned w = mlirIntegerTypeGetWidth(e);
    bool u = mlirIntegerTypeIsUnsigned(e);
    if (w == 8)
      out->dtype = u ? COOPT_U8 : COOPT_I8;
    else if (w == 32 && !u)
      out->dtype = COOPT_I32;
    else if (w == 64 && !u)
      out->dtype = COOPT_I64;
    else if (w == 1)
      out->dtype = COOPT_BOOL;
    else
      return false;
  } else
    return false;
  out->rank = (int)r;
  for (intptr_t i = 0; i < r; ++i)
    out->dims[i] = mlirShapedTypeGetDimSize(t, i);
  return true;
}

static void collect(MlirStringRef s, void *ud) { coopt_buf_append(ud, s.data, s.length); }

bool cooptModuleInterface(MlirModule module, coopt_jit *jit, char *err, size_t err_size) {
  memset(jit, 0, sizeof *jit);
  MlirOperation main_fn = cooptFindFunc(mlirModuleGetOperation(module), "main");
  if (mlirOperationIsNull(main_fn)) {
    snprintf(err, err_size, "the module has no func.func @main");
    return false;
  }
  MlirType ft =
      mlirTypeAttrGetValue(mlirOperationGetAttributeByName(main_fn, mlirStringRefCreateFromCString("function_type")));
  jit->num_inputs = (int)mlirFunctionTypeGetNumInputs(ft);
  jit->num_outputs = (int)mlirFunctionTypeGetNumResults(ft);
  if (jit->num_inputs > COOPT_MAX_IO || jit->num_outputs > COOPT_MAX_IO || jit->num_outputs < 1) {
    snprintf(err, err_size, "@main has %d inputs and %d results (1 to %d results, at most %d inputs supported)",
             jit->num_inputs, jit->num_outputs, COOPT_MAX_IO, COOPT_MAX_IO);
    return false;
  }
  for (int i = 0; i < jit->num_inputs; ++i)
    if (!tensor_type_of(mlirFunctionTypeGetInput(ft, i), &jit->inputs[i])) {
      snprintf(err, err_size, "input %d of @main is not a statically shaped tensor of a supported type", i);
      return false;
    }
  for (int i = 0; i < jit->num_outputs; ++i)
    if (!tensor_type_of(mlirFunctionTypeGetResult(ft, i), &jit->outputs[i])) {
      snprintf(err, err_size, "result %d of @main is not a statically shaped tensor of a supported type", i);
      return false;
    }
  /* The caller allocates every input and output: a type may claim more
   * elements than memory (or int64) holds, which must be an error, not an
   * allocation failure.  16 GiB per tensor is far beyond any model here. */
  for (int i = 0; i < jit->num_inputs + jit->num_outputs; ++i) {
    const coopt_tensor_type *t = i < jit->num_inputs ? &jit->inputs[i] : &jit->outputs[i - jit->num_inputs];
    size_t bytes;
    if (!cooptTensorBytesWithin(t, (size_t)1 << 34, &bytes)) {
      snprintf(err, err_size, "%s %d of @main is larger than 16 GiB", i < jit->num_inputs ? "input" : "result",
               i < jit->num_inputs ? i : i - jit->num_inputs);
      return false;
    }
  }
  /* Unsigned bytes travel as i8 bits, marked {coopt.unsigned} (MLIR's TOSA
   * lowering has no ui8); the interface reports them as u8. */
  static const char *const which[2] = {"arg_attrs", "res_attrs"};
  for (int k = 0; k < 2; ++k) {
    MlirAttribute arr = mlirOperationGetAttributeByName(main_fn, mlirStringRefCreateFromCString(which[k]));
    if (mlirAttributeIsNull(arr) || !mlirAttributeIsAArray(arr))
      continue;
    intptr_t n = mlirArrayAttrGetNumElements(arr);
    for (intptr_t i = 0; i < n && i < (k ? jit->num_outputs : jit->num_inputs); ++i) {
      MlirAttribute d = mlirArrayAttrGetElement(arr, i);
      if (mlirAttributeIsADictionary(d) && !mlirAttributeIsNull(mlirDictionaryAttrGetElementByName(
                                               d, mlirStringRefCreateFromCString("coopt.unsigned")))) {
        coopt_tensor_type *t = k ? &jit->outputs[i] : &jit->inputs[i];
        if (t->dtype == COOPT_I8)
          t->dtype = COOPT_U8;
      }
    }
  }
  return true;
}

static bool run_stage(MlirContext ctx, MlirModule module, const char *pipeline, char *err, size_t err_size) {
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, mlirStringRefCreateFromCString("builtin.module"));
  coopt_buf msg;
  coopt_buf_init(&msg);
  bool ok = mlirLogicalResultIsSuccess(mlirParsePassPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                                             mlirStringRefCreateFromCString(pipeline), collect, &msg));
  if (!ok)
    snprintf(err, err_size, "internal error: lowering pipeline: %s", msg.data ? msg.data : "");
  else if (!(ok = mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module)))))
    snprintf(err, err_size, "lowering to LLVM failed");
  mlirPassManagerDestroy(pm);
  coopt_buf_free(&msg);
  return ok;
}

/* Upstream's buffer-results-to-out-params (hoist-static-allocs) crashes
 * when a function returns the same buffer twice (found by fuzz-passes: a
 * calibration probe whose activations fold into one value; a model may
 * return a value twice too).  Give every repeated result its own copy,
 * after folding has made equal what is equal. */
static void copy_repeated_results(MlirContext ctx, MlirOperation fn) {
  MlirBlock block = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  MlirOperation ret = mlirBlockGetTerminator(block);
  if (mlirOperationIsNull(ret))
    return;
  intptr_t n = mlirOperationGetNumOperands(ret);
  for (intptr_t i = 1; i < n; ++i) {
    MlirValue v = mlirOperationGetOperand(ret, i);
    bool repeated = false;
    for (intptr_t j = 0; j < i && !repeated; ++j)
      repeated = mlirValueEqual(v, mlirOperationGetOperand(ret, j));
    if (!repeated || !mlirTypeIsARankedTensor(mlirValueGetType(v)))
      continue;
    MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("bufferization.alloc_tensor"),
                                                  mlirOperationGetLocation(ret));
    mlirOperationStateAddOperands(&st, 1, &v);
    MlirType t = mlirValueGetType(v);
    mlirOperationStateAddResults(&st, 1, &t);
    static const int32_t segments[3] = {0, 1, 0}; /* dynamic sizes, copy, size hint */
    MlirNamedAttribute seg =
        mlirNamedAttributeGet(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("operandSegmentSizes")),
                              mlirDenseI32ArrayGet(ctx, 3, segments));
    mlirOperationStateAddAttributes(&st, 1, &seg);
    MlirOperation copy = mlirOperationCreate(&st);
    mlirBlockInsertOwnedOperationBefore(block, ret, copy);
    mlirOperationSetOperand(ret, i, mlirOperationGetResult(copy, 0));
  }
}

/* coopt-lower-kernels declares its kernels' arguments read-only
 * (bufferization.access = "read"), which spares a copy of each argument per
 * call; once bufferized the hint has done its work, and LLVM's translation
 * would warn about it on every declaration. */
static void drop_access_hints(MlirModule module) {
  MlirStringRef arg_attrs = mlirStringRefCreateFromCString("arg_attrs");
  for (MlirOperation op = mlirBlockGetFirstOperation(mlirModuleGetBody(module)); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirAttribute arr = mlirOperationGetAttributeByName(op, arg_attrs);
    if (!cooptOpIs(op, "func.func") || mlirAttributeIsNull(arr) || !mlirAttributeIsAArray(arr))
      continue;
    for (intptr_t i = 0; i < mlirArrayAttrGetNumElements(arr); ++i) {
      MlirAttribute d = mlirArrayAttrGetElement(arr, i);
      if (mlirAttributeIsADictionary(d) && !mlirAttributeIsNull(mlirDictionaryAttrGetElementByName(
                                               d, mlirStringRefCreateFromCString("bufferization.access"))))
        cooptSetArgAttr(op, i, "bufferization.access", mlirAttributeGetNull());
    }
  }
}

bool cooptLowerToLLVMDialect(MlirContext ctx, MlirModule module, const char *entry, char *err, size_t err_size) {
  MlirOperation main_fn = cooptFindFunc(mlirModuleGetOperation(module), entry);
  if (mlirOperationIsNull(main_fn)) {
    snprintf(err, err_size, "the module has no func.func @%s", entry);
    return false;
  }
  mlirOperationSetAttributeByName(main_fn, mlirStringRefCreateFromCString("llvm.emit_c_interface"),
                                  mlirUnitAttrGet(ctx));
  if (!run_stage(ctx, module, "builtin.module(" JIT_TENSOR_STAGE ")", err, err_size))
    return false;
  copy_repeated_results(ctx, main_fn);
  if (!run_stage(ctx, module, "builtin.module(" JIT_BUFFERIZE_STAGE ")", err, err_size))
    return false;
  drop_access_hints(module);
  const coopt_plan_options plan = {COOPT_PLAN_DEFAULT_MAX_STACK, true};
  cooptPlanBuffers(mlirModuleGetOperation(module), &plan);
  return run_stage(ctx, module, "builtin.module(" JIT_DEALLOC_STAGE "," JIT_LLVM_STAGE ")", err, err_size);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path); /* best effort: keep going */
  return 0;
}

/* MLIR's ExecutionEngine always registers LLVM's perf JIT listener (the C
 * API has no switch), and Debian's LLVM is built with perf support: the
 * first engine of a process creates .debug/jit/llvm-IR-jit-<date>-<rand>/
 * jit-<pid>.dump (about 60 KB) under the temporary directory and leaves it
 * there.  Every coopt-runner call, calibration and recovery would litter
 * the disk.  Unless the user asks for jitdump files (JITDUMPDIR set, for
 * `perf inject --jit`), point the listener at a private directory for the
 * first engine of the process (the listener is a process-wide singleton,
 * created once) and remove that directory at once: the listener keeps its
 * file open and writes into an unlinked inode that disappears with the
 * process, even when it crashes. */
static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static bool engine_created;

static MlirExecutionEngine create_engine(MlirModule module, int opt_level, int nlibs, const MlirStringRef *libs) {
  pthread_mutex_lock(&engine_lock);
  char dir[4096] = "";
  if (!engine_created && !getenv("JITDUMPDIR")) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/coopt-jitdump-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
      dir[0] = '\0';
    } else if (setenv("JITDUMPDIR", dir, 1) != 0) {
      rmdir(dir);
      dir[0] = '\0';
    }
  }
  MlirExecutionEngine engine = mlirExecutionEngineCreate(module, opt_level, nlibs, libs, false, false);
  if (dir[0]) {
    unsetenv("JITDUMPDIR");
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
  engine_created = engine_created || !mlirExecutionEngineIsNull(engine);
  pthread_mutex_unlock(&engine_lock);
  return engine;
}

/* coopt's runtime (libcoopt_rt.so) for the engine.  The build tree's copy
 * has a fixed path; an installed tree is relocatable, so the library is
 * looked up next to the code that runs this: beside libcoopt.so, or in the
 * lib directory beside a tool's bin directory.  COOPT_RT_LIBRARY overrides
 * both (a runtime built for another CPU, say). */
static char runtime_path[4096];
static pthread_once_t runtime_once = PTHREAD_ONCE_INIT;

static bool try_runtime_in(const char *dir, const char *rel) {
  char path[sizeof runtime_path];
  int n = snprintf(path, sizeof path, "%s/%s%s%s", dir, rel, rel[0] ? "/" : "", COOPT_RT_NAME);
  /* realpath: the engine loads, and diagnostics name, a plain path. */
  return n >= 0 && (size_t)n < sizeof path && access(path, R_OK) == 0 && realpath(path, runtime_path);
}

static bool try_runtime_beside(const char *object) {
  char real[sizeof runtime_path];
  if (!object || !realpath(object, real))
    return false;
  char *slash = strrchr(real, '/');
  if (!slash)
    return false;
  *slash = 0;
  return try_runtime_in(real, "") || try_runtime_in(real, COOPT_BIN_TO_LIB);
}

static void find_runtime(void) {
  const char *env = getenv("COOPT_RT_LIBRARY");
  if (env && env[0] && strlen(env) < sizeof runtime_path) {
    strcpy(runtime_path, env);
    return;
  }
  /* The object holding this code: libcoopt.so, or the executable that
   * linked libcoopt statically (whose name dladdr may give as typed, hence
   * /proc/self/exe as well). */
  Dl_info info;
  if ((dladdr(runtime_path, &info) && try_runtime_beside(info.dli_fname)) || try_runtime_beside("/proc/self/exe"))
    return;
  snprintf(runtime_path, sizeof runtime_path, "%s", COOPT_RT_BUILD_PATH);
}

bool cooptJitCompile(MlirContext ctx, MlirModule module, int opt_level, coopt_jit *jit, char *err, size_t err_size) {
  if (!cooptModuleInterface(module, jit, err, err_size) || !cooptLowerToLLVMDialect(ctx, module, "main", err, err_size))
    return false;
  mlirRegisterAllLLVMTranslations(ctx);
  /* memrefCopy (from bufferized tensor.pad and friends) lives in the C runner
   * utilities that Debian's MLIR ships. */
  /* coopt's runtime: the kernels coopt-lower-kernels calls. */
  pthread_once(&runtime_once, find_runtime);
  MlirStringRef libs[2] = {mlirStringRefCreateFromCString(COOPT_C_RUNNER_UTILS),
                           mlirStringRefCreateFromCString(runtime_path)};
  jit->engine = create_engine(module, opt_level, 2, libs);
  if (mlirExecutionEngineIsNull(jit->engine)) {
    snprintf(err, err_size, "the execution engine could not be created (translation to LLVM failed)");
    return false;
  }
  return true;
}

/* A ranked memref descriptor: {allocated, aligned, offset, sizes[r], strides[r]}. */
typedef struct desc {
  void *allocated, *aligned;
  int64_t offset;
  int64_t shape[2 * COOPT_MAX_RANK];
} desc;

static void fill_desc(desc *d, const coopt_tensor_type *t, void *data) {
  d->allocated = d->aligned = data;
  d->offset = 0;
  int64_t stride = 1;
  for (int i = t->rank - 1; i >= 0; --i) {
    d->shape[i] = t->dims[i];
    d->shape[t->rank + i] = stride;
    stride *= t->dims[i];
  }
}

bool cooptJitRun(coopt_jit *jit, void *const *inputs, void *const *outputs) {
  desc d[2 * COOPT_MAX_IO];
  desc *dp[2 * COOPT_MAX_IO];
  void *args[2 * COOPT_MAX_IO];
  int n = 0;
  for (int i = 0; i < jit->num_inputs; ++i, ++n)
    fill_desc(&d[n], &jit->inputs[i], inputs[i]);
  for (int i = 0; i < jit->num_outputs; ++i, ++n)
    fill_desc(&d[n], &jit->outputs[i], outputs[i]);
  for (int i = 0; i < n; ++i) {
    dp[i] = &d[i];
    args[i] = &dp[i];
  }
  if (jit->entry) {
    /* The C interface takes one descriptor pointer per tensor. */
    typedef void *P;
    switch (n) {
    case 2: ((void (*)(P, P))jit->entry)(dp[0], dp[1]); return true;
    case 3: ((void (*)(P, P, P))jit->entry)(dp[0], dp[1], dp[2]); return true;
    case 4: ((void (*)(P, P, P, P))jit->entry)(dp[0], dp[1], dp[2], dp[3]); return true;
    case 5: ((void (*)(P, P, P, P, P))jit->entry)(dp[0], dp[1], dp[2], dp[3], dp[4]); return true;
    case 6: ((void (*)(P, P, P, P, P, P))jit->entry)(dp[0], dp[1], dp[2], dp[3], dp[4], dp[5]); return true;
    default: return false;
    }
  }
  return mlirLogicalResultIsSuccess(
      mlirExecutionEngineInvokePacked(jit->engine, mlirStringRefCreateFromCString("main"), args));
}

void cooptJitDestroy(coopt_jit *jit) {
  if (!mlirExecutionEngineIsNull(jit->engine))
    mlirExecutionEngineDestroy(jit->engine);
  jit->engine.ptr = NULL;
  if (jit->library)
    dlclose(jit->library);
  jit->library = NULL;
  jit->entry = NULL;
}

/* Link an object into a shared library: `cc -shared -o lib obj -lm`, without
 * a shell (paths are passed as arguments). */
static bool link_shared(const char *obj, const char *lib, char *err, size_t err_size) {
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, err_size, "cannot start the linker: %s", strerror(errno));
    return false;
  }
  if (pid == 0) {
    execlp("cc", "cc", "-shared", "-o", lib, obj, "-lm", (char *)NULL);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    snprintf(err, err_size, "linking '%s' into a shared library failed (cc -shared; is it an x86-64 object?)", obj);
    return false;
  }
  return true;
}

bool cooptObjectLoad(MlirModule module, const char *path, const char *entry, coopt_jit *jit, char *err,
                     size_t err_size) {
  if (!cooptModuleInterface(module, jit, err, err_size))
    return false;
  if (access(path, R_OK) != 0) {
    snprintf(err, err_size, "cannot read '%s': %s", path, strerror(errno));
    return false;
  }
  size_t n = strlen(path);
  char lib[4096];
  bool object = n > 2 && !strcmp(path + n - 2, ".o");
  if (object) {
    const char *tmp = getenv("TMPDIR");
    snprintf(lib, sizeof lib, "%s/coopt-model-%ld.so", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    if (!link_shared(path, lib, err, err_size))
      return false;
  } else {
    snprintf(lib, sizeof lib, "%s%s", strchr(path, '/') ? "" : "./", path);
  }
  jit->library = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (object)
    unlink(lib); /* the mapping stays valid */
  if (!jit->library) {
    snprintf(err, err_size, "cannot load '%s': %s", path, dlerror());
    return false;
  }
  char sym[256];
  snprintf(sym, sizeof sym, "_mlir_ciface_%s", entry);
  /* POSIX guarantees a dlsym'd object pointer converts to the function's
   * pointer; copy the bits, as ISO C has no such conversion. */
  void *addr = dlsym(jit->library, sym);
  memcpy(&jit->entry, &addr, sizeof addr);
  if (!addr) {
    snprintf(err, err_size, "'%s' has no %s (compile it with coopt-translate --emit=obj --name=%s)", path, sym, entry);
    dlclose(jit->library);
    jit->library = NULL;
    return false;
  }
  if (jit->num_inputs + jit->num_outputs > 6) {
    snprintf(err, err_size, "compiled models with more than 6 inputs and outputs are not supported yet");
    return false;
  }
  return true;
}
