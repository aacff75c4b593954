/*
 * Ahead-of-time emission.  The module goes through the same lowering as the
 * JIT (so the compiled code computes exactly what coopt-runner evaluated),
 * is translated to LLVM IR by MLIR, and LLVM's C API produces assembly or an
 * object for the requested triple.  Objects are position independent so they
 * can go into shared libraries as well as executables.
 */
#include "coopt/Compile.h"
#include "IR/Build.h"
#include "Support/Support.h"

#include <llvm-c/Core.h>
#include <llvm-c/Disassembler.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/RegisterEverything.h>
#include <mlir-c/Target/LLVMIR.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cooptTargetTriple(const char *arch) {
  if (!strcmp(arch, "x86_64"))
    return "x86_64-unknown-linux-gnu";
  if (!strcmp(arch, "aarch64"))
    return "aarch64-unknown-linux-gnu";
  return NULL;
}

static bool valid_identifier(const char *name, char *err, size_t err_size) {
  bool ok = *name && !(*name >= '0' && *name <= '9') && strlen(name) < 100;
  for (const char *p = name; *p && ok; ++p)
    ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
  if (!ok)
    snprintf(err, err_size, "'%s' is not a C identifier", name);
  return ok;
}

static bool rename_main(MlirModule module, const char *name, char *err, size_t err_size) {
  MlirOperation m = mlirModuleGetOperation(module);
  if (strcmp(name, "main") && !mlirOperationIsNull(cooptFindSymbol(m, name))) {
    snprintf(err, err_size, "the module already has a symbol named '%s'", name);
    return false;
  }
  MlirOperation fn = cooptFindFunc(m, "main");
  if (mlirOperationIsNull(fn)) {
    snprintf(err, err_size, "the module has no func.func @main");
    return false;
  }
  mlirOperationSetAttributeByName(fn, mlirStringRefCreateFromCString("sym_name"),
                                  mlirStringAttrGet(mlirOperationGetContext(fn), mlirStringRefCreateFromCString(name)));
  return true;
}

static void init_targets(void) {
  static bool done;
  if (done)
    return;
  done = true;
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  LLVMInitializeAArch64TargetInfo();
  LLVMInitializeAArch64Target();
  LLVMInitializeAArch64TargetMC();
  LLVMInitializeAArch64AsmPrinter();
  LLVMInitializeX86Disassembler();
  LLVMInitializeAArch64Disassembler();
}

/* LLVM takes an unknown --mcpu or --mattr with a warning on stderr and goes
 * on ("ignoring processor"), then either emits code for a CPU nobody asked
 * for or stops with a fatal error deep in code generation.  Its C API has
 * no query for valid names, so build the MC subtarget for the pair (a
 * disassembler context: cheap, and unlike the code generator's subtarget it
 * never aborts) with stderr sent to a pipe, and turn any "not a recognized"
 * line into an error.  Compilation is single-threaded at this point, so no
 * other output is swallowed. */
static bool check_subtarget(const char *triple, const char *cpu, const char *features, char *err, size_t err_size) {
  int fds[2];
  if (pipe(fds) != 0)
    return true; /* cannot check: LLVM's own warning still shows */
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  close(fds[1]);
  LLVMDisasmContextRef dc = LLVMCreateDisasmCPUFeatures(triple, cpu, features, NULL, 0, NULL, NULL);
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  char text[1024];
  ssize_t n = read(fds[0], text, sizeof text - 1); /* the write end is closed: no blocking */
  close(fds[0]);
  if (dc)
    LLVMDisasmDispose(dc);
  text[n > 0 ? n : 0] = '\0';
  char *bad = strstr(text, "is not a recognized");
  if (!bad)
    return true;
  /* Report LLVM's first complaint: "'x' is not a recognized processor for
   * this target (ignoring processor)" minus the parenthesis. */
  char *line = bad;
  while (line > text && line[-1] != '\n')
    --line;
  size_t len = strcspn(line, "(\n");
  while (len && line[len - 1] == ' ')
    --len;
  snprintf(err, err_size, "%.*s (%s)", (int)len, line, triple);
  return false;
}

/* The LLVM target machine for `t`: its triple, the CPU (--mcpu=native:
 * this machine's CPU and features, x86_64 only) and the features, checked
 * before LLVM would abort on them.  NULL after a message in err. */
static LLVMTargetMachineRef create_target_machine(const coopt_target *t, const char **triple, char *err,
                                                  size_t err_size) {
  *triple = cooptTargetTriple(t->arch);
  if (!*triple) {
    snprintf(err, err_size, "unknown target '%s' (expected x86_64 or aarch64)", t->arch);
    return NULL;
  }
  init_targets();
  LLVMTargetRef target;
  char *msg = NULL;
  if (LLVMGetTargetFromTriple(*triple, &target, &msg)) {
    snprintf(err, err_size, "no LLVM target for %s: %s", *triple, msg ? msg : "");
    LLVMDisposeMessage(msg);
    return NULL;
  }
  static const LLVMCodeGenOptLevel levels[4] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess, LLVMCodeGenLevelDefault,
                                                LLVMCodeGenLevelAggressive};
  char *host_cpu = NULL, *host_features = NULL;
  const char *cpu = t->cpu ? t->cpu : "generic", *features = t->features ? t->features : "";
  if (!strcmp(cpu, "native")) {
    if (strcmp(t->arch, "x86_64")) {
      snprintf(err, err_size, "--mcpu=native is only meaningful for the host (x86_64)");
      return NULL;
    }
    cpu = host_cpu = LLVMGetHostCPUName();
    if (!*features)
      features = host_features = LLVMGetHostCPUFeatures();
  }
  LLVMTargetMachineRef tm = NULL;
  if (check_subtarget(*triple, cpu, features, err, err_size)) {
    int level = t->opt_level < 0 ? 0 : t->opt_level > 3 ? 3 : t->opt_level;
    tm = LLVMCreateTargetMachine(target, *triple, cpu, features, levels[level], LLVMRelocPIC, LLVMCodeModelDefault);
    if (!tm)
      snprintf(err, err_size, "cannot create an LLVM target machine for %s (cpu %s, features '%s')", *triple, cpu,
               features);
  }
  LLVMDisposeMessage(host_cpu);
  LLVMDisposeMessage(host_features);
  return tm;
}

/* The target's data layout, and the IR optimisation pipeline the JIT's
 * ExecutionEngine runs too; without it the object would be unvectorised,
 * unhoisted loops. */
static bool optimise_llvm_module(LLVMModuleRef lm, LLVMTargetMachineRef tm, const char *triple, int opt_level,
                                 char *err, size_t err_size) {
  LLVMSetTarget(lm, triple);
  LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
  char *dls = LLVMCopyStringRepOfTargetData(dl);
  LLVMSetDataLayout(lm, dls);
  LLVMDisposeMessage(dls);
  LLVMDisposeTargetData(dl);
  if (opt_level <= 0)
    return true;
  char pipeline[32];
  snprintf(pipeline, sizeof pipeline, "default<O%d>", opt_level > 3 ? 3 : opt_level);
  LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(lm, pipeline, tm, po);
  LLVMDisposePassBuilderOptions(po);
  if (!e)
    return true;
  char *m = LLVMGetErrorMessage(e);
  snprintf(err, err_size, "LLVM optimisation failed: %s", m);
  LLVMDisposeErrorMessage(m);
  return false;
}

/* LLVM IR text, or assembly / an object from the target machine; *out is
 * NUL-terminated. */
static bool emit_llvm_module(LLVMModuleRef lm, LLVMTargetMachineRef tm, coopt_emit_kind kind, char **out,
                             size_t *out_size, char *err, size_t err_size) {
  if (kind == COOPT_EMIT_LLVM) {
    char *text = LLVMPrintModuleToString(lm);
    *out_size = strlen(text);
    *out = coopt_xmalloc(*out_size + 1);
    memcpy(*out, text, *out_size + 1);
    LLVMDisposeMessage(text);
    return true;
  }
  LLVMMemoryBufferRef buf = NULL;
  char *msg = NULL;
  if (LLVMTargetMachineEmitToMemoryBuffer(tm, lm, kind == COOPT_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile, &msg,
                                          &buf)) {
    snprintf(err, err_size, "code generation failed: %s", msg ? msg : "");
    LLVMDisposeMessage(msg);
    return false;
  }
  *out_size = LLVMGetBufferSize(buf);
  *out = coopt_xmalloc(*out_size + 1);
  memcpy(*out, LLVMGetBufferStart(buf), *out_size);
  (*out)[*out_size] = 0;
  LLVMDisposeMemoryBuffer(buf);
  return true;
}

bool cooptEmitModule(MlirContext ctx, MlirModule module, const coopt_target *t, coopt_emit_kind kind, char **out,
                     size_t *out_size, char *err, size_t err_size) {
  *out = NULL;
  *out_size = 0;
  const char *triple;
  LLVMTargetMachineRef tm = create_target_machine(t, &triple, err, err_size);
  if (!tm)
    return false;
  /* The object exports the entry under its own name (a C program has its
   * own main). */
  const char *name = t->name ? t->name : "model";
  if (!valid_identifier(name, err, err_size)) {
    LLVMDisposeTargetMachine(tm);
    return false;
  }
  bool ok = rename_main(module, name, err, err_size) && cooptLowerToLLVMDialect(ctx, module, name, err, err_size);
  LLVMContextRef lctx = LLVMContextCreate();
  LLVMModuleRef lm = NULL;
  if (ok) {
    mlirRegisterAllLLVMTranslations(ctx);
    lm = mlirTranslateModuleToLLVMIR(mlirModuleGetOperation(module), lctx);
    if (!lm) {
      snprintf(err, err_size, "translation to LLVM IR failed");
      ok = false;
    }
  }
  ok = ok && optimise_llvm_module(lm, tm, triple, t->opt_level, err, err_size) &&
       emit_llvm_module(lm, tm, kind, out, out_size, err, err_size);
  if (lm)
    LLVMDisposeModule(lm);
  LLVMContextDispose(lctx);
  LLVMDisposeTargetMachine(tm);
  return ok;
}

static const char *c_type(coopt_dtype t) {
  switch (t) {
  case COOPT_F32: return "float";
  case COOPT_I8: return "int8_t";
  case COOPT_U8: return "uint8_t";
  case COOPT_I32: return "int32_t";
  case COOPT_I64: return "int64_t";
  case COOPT_BOOL: return "bool";
  }
  return "void";
}

static void quant_line(coopt_buf *b, MlirOperation fn, const char *attr, const char *upper, const char *what, int i) {
  MlirAttribute arr = mlirOperationGetAttributeByName(fn, mlirStringRefCreateFromCString(attr));
  if (mlirAttributeIsNull(arr) || !mlirAttributeIsAArray(arr) || i >= mlirArrayAttrGetNumElements(arr))
    return;
  MlirAttribute d = mlirArrayAttrGetElement(arr, i);
  if (!mlirAttributeIsADictionary(d))
    return;
  MlirAttribute s = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("scale"));
  MlirAttribute z = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("zero_point"));
  if (mlirAttributeIsNull(s) || mlirAttributeIsNull(z))
    return;
  coopt_buf_printf(b, "#define %s_%s%d_SCALE %.17g\n#define %s_%s%d_ZERO_POINT %lld\n", upper, what, i,
                   mlirFloatAttrGetValueDouble(s), upper, what, i, (long long)mlirIntegerAttrGetValueInt(z));
}

bool cooptEmitHeader(MlirModule module, const char *name, char **out, size_t *out_size, char *err, size_t err_size) {
  coopt_jit io;
  if (!cooptModuleInterface(module, &io, err, err_size))
    return false;
  if (!valid_identifier(name, err, err_size))
    return false;
  char upper[128];
  size_t n = strlen(name) < sizeof upper - 1 ? strlen(name) : sizeof upper - 1;
  for (size_t i = 0; i < n; ++i)
    upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
  upper[n] = 0;
  MlirOperation fn = cooptFindFunc(mlirModuleGetOperation(module), "main");
  coopt_buf b;
  coopt_buf_init(&b);
  coopt_buf_printf(&b,
                   "/* Generated by coopt-translate --emit=header: the entry point of a coopt-compiled model.\n"
                   " * Link the object from --emit=obj (and libm).  Tensors are dense row-major. */\n"
                   "#ifndef COOPT_MODEL_%s_H\n#define COOPT_MODEL_%s_H\n\n#include <stdbool.h>\n#include <stdint.h>\n\n"
                   "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n",
                   upper, upper);
  int total = io.num_inputs + io.num_outputs;
  for (int i = 0; i < total; ++i) {
    bool in = i < io.num_inputs;
    int k = in ? i : i - io.num_inputs;
    const coopt_tensor_type *t = in ? &io.inputs[k] : &io.outputs[k];
    const char *what = in ? "INPUT" : "OUTPUT";
    int64_t count = cooptTensorElements(t);
    coopt_buf_printf(&b, "/* %s %d: %s[", in ? "input" : "output", k, c_type(t->dtype));
    for (int d = 0; d < t->rank; ++d)
      coopt_buf_printf(&b, "%s%lld", d ? "x" : "", (long long)t->dims[d]);
    coopt_buf_printf(&b, "] */\n#define %s_%s%d_RANK %d\n#define %s_%s%d_ELEMENTS %lld\n", upper, what, k, t->rank,
                     upper, what, k, (long long)count);
    coopt_buf_printf(&b, "#define %s_%s%d_SHAPE {", upper, what, k);
    for (int d = 0; d < t->rank; ++d)
      coopt_buf_printf(&b, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
    coopt_buf_printf(&b, "}\n");
    if (!mlirOperationIsNull(fn))
      quant_line(&b, fn, in ? "coopt.input_quant" : "coopt.output_quant", upper, what, k);
    coopt_buf_printf(
        &b, "typedef struct { %s *allocated, *aligned; int64_t offset, sizes[%d], strides[%d]; } %s_memref%d_t;\n\n",
        c_type(t->dtype), t->rank ? t->rank : 1, t->rank ? t->rank : 1, name, i);
  }
  coopt_buf_printf(&b, "/* The compiled entry (MLIR's C interface): inputs, then outputs. */\nvoid _mlir_ciface_%s(",
                   name);
  for (int i = 0; i < total; ++i)
    coopt_buf_printf(&b, "%s%s_memref%d_t *", i ? ", " : "", name, i);
  coopt_buf_printf(&b, ");\n\n/* Run the model on dense row-major buffers. */\nstatic inline void %s_run(", name);
  for (int i = 0; i < total; ++i) {
    bool in = i < io.num_inputs;
    const coopt_tensor_type *t = in ? &io.inputs[i] : &io.outputs[i - io.num_inputs];
    coopt_buf_printf(&b, "%s%s%s *%s%d", i ? ", " : "", in ? "const " : "", c_type(t->dtype), in ? "in" : "out",
                     in ? i : i - io.num_inputs);
  }
  coopt_buf_printf(&b, ") {\n");
  for (int i = 0; i < total; ++i) {
    bool in = i < io.num_inputs;
    const coopt_tensor_type *t = in ? &io.inputs[i] : &io.outputs[i - io.num_inputs];
    coopt_buf_printf(&b, "  %s_memref%d_t m%d = {(%s *)%s%d, (%s *)%s%d, 0, {", name, i, i, c_type(t->dtype),
                     in ? "in" : "out", in ? i : i - io.num_inputs, c_type(t->dtype), in ? "in" : "out",
                     in ? i : i - io.num_inputs);
    for (int d = 0; d < t->rank; ++d)
      coopt_buf_printf(&b, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
    coopt_buf_printf(&b, "}, {");
    int64_t stride = 1;
    int64_t strides[COOPT_MAX_RANK];
    for (int d = t->rank - 1; d >= 0; --d)
      strides[d] = stride, stride *= t->dims[d];
    for (int d = 0; d < t->rank; ++d)
      coopt_buf_printf(&b, "%s%lld", d ? ", " : "", (long long)strides[d]);
    coopt_buf_printf(&b, "}};\n");
  }
  coopt_buf_printf(&b, "  _mlir_ciface_%s(", name);
  for (int i = 0; i < total; ++i)
    coopt_buf_printf(&b, "%s&m%d", i ? ", " : "", i);
  coopt_buf_printf(&b, ");\n}\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
  *out_size = b.size;
  *out = coopt_buf_take(&b);
  return true;
}
