#include "coopt/Diagnostics.h"
#include "Support/Support.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One hook per process: passes of one pass manager may run on several threads
 * (nested func.func pipelines), so the hook is read under a lock and must be
 * thread-safe itself. */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static coopt_diagnostic_hook hook_fn;
static void *hook_data;

void cooptSetDiagnosticHook(coopt_diagnostic_hook hook, void *user_data) {
  pthread_mutex_lock(&hook_lock);
  hook_fn = hook;
  hook_data = user_data;
  pthread_mutex_unlock(&hook_lock);
}

/* Per thread: a pass that runs another pipeline on a private clone (the
 * probes of the data-driven passes) silences that pipeline's remarks. */
static _Thread_local int quiet_depth;

void cooptDiagnosticsQuiet(bool quiet) { quiet_depth += quiet ? 1 : -1; }

const char *cooptSeverityName(MlirDiagnosticSeverity s) {
  switch (s) {
  case MlirDiagnosticError: return "error";
  case MlirDiagnosticWarning: return "warning";
  case MlirDiagnosticNote: return "note";
  case MlirDiagnosticRemark: return "remark";
  }
  return "diagnostic";
}

static void emitv(MlirLocation loc, MlirDiagnosticSeverity severity, const char *fmt, va_list ap) COOPT_PRINTF(3, 0);
static void emitv(MlirLocation loc, MlirDiagnosticSeverity severity, const char *fmt, va_list ap) {
  coopt_buf msg;
  coopt_buf_init(&msg);
  coopt_buf_vprintf(&msg, fmt, ap);
  if (severity == MlirDiagnosticError) {
    mlirEmitError(loc, msg.data ? msg.data : "");
    coopt_buf_free(&msg);
    return;
  }
  if (quiet_depth > 0) {
    coopt_buf_free(&msg);
    return;
  }
  pthread_mutex_lock(&hook_lock);
  coopt_diagnostic_hook fn = hook_fn;
  void *ud = hook_data;
  pthread_mutex_unlock(&hook_lock);
  if (fn) {
    fn(loc, severity, msg.data ? msg.data : "", ud);
  } else {
    char where[512];
    cooptFormatLocation(loc, where, sizeof where);
    fprintf(stderr, "%s: %s: %s\n", where, cooptSeverityName(severity), msg.data ? msg.data : "");
  }
  coopt_buf_free(&msg);
}

void cooptEmit(MlirLocation loc, MlirDiagnosticSeverity severity, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emitv(loc, severity, fmt, ap);
  va_end(ap);
}

void cooptEmitError(MlirLocation loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emitv(loc, MlirDiagnosticError, fmt, ap);
  va_end(ap);
}

void cooptEmitWarning(MlirLocation loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emitv(loc, MlirDiagnosticWarning, fmt, ap);
  va_end(ap);
}

void cooptEmitRemark(MlirLocation loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emitv(loc, MlirDiagnosticRemark, fmt, ap);
  va_end(ap);
}

static void resolve(MlirLocation loc, coopt_resolved_loc *r, int depth) {
  if (mlirLocationIsNull(loc) || depth > 16)
    return;
  if (mlirLocationIsAFileLineColRange(loc)) {
    if (r->file.length == 0 && r->line == 0) {
      MlirIdentifier f = mlirLocationFileLineColRangeGetFilename(loc);
      r->file = mlirIdentifierStr(f);
      r->line = (unsigned)mlirLocationFileLineColRangeGetStartLine(loc);
      r->col = (unsigned)mlirLocationFileLineColRangeGetStartColumn(loc);
    }
    return;
  }
  if (mlirLocationIsAName(loc)) {
    if (r->name.length == 0)
      r->name = mlirIdentifierStr(mlirLocationNameGetName(loc));
    resolve(mlirLocationNameGetChildLoc(loc), r, depth + 1);
    return;
  }
  if (mlirLocationIsACallSite(loc)) {
    resolve(mlirLocationCallSiteGetCallee(loc), r, depth + 1);
    return;
  }
  if (mlirLocationIsAFused(loc)) {
    unsigned n = mlirLocationFusedGetNumLocations(loc);
    if (n == 0)
      return;
    MlirLocation *locs = coopt_xmalloc(n * sizeof *locs);
    mlirLocationFusedGetLocations(loc, locs);
    for (unsigned i = 0; i < n; ++i)
      resolve(locs[i], r, depth + 1);
    free(locs);
  }
}

coopt_resolved_loc cooptResolveLocation(MlirLocation loc) {
  coopt_resolved_loc r;
  memset(&r, 0, sizeof r);
  r.file = mlirStringRefCreate("", 0);
  r.name = mlirStringRefCreate("", 0);
  resolve(loc, &r, 0);
  return r;
}

void cooptFormatLocation(MlirLocation loc, char *buf, size_t size) {
  coopt_resolved_loc r = cooptResolveLocation(loc);
  bool has_file = r.line != 0;
  if (r.name.length && has_file)
    snprintf(buf, size, "%.*s@%.*s:%u:%u", (int)r.name.length, r.name.data, (int)r.file.length, r.file.data, r.line,
             r.col);
  else if (r.name.length)
    snprintf(buf, size, "%.*s", (int)r.name.length, r.name.data);
  else if (has_file)
    snprintf(buf, size, "%.*s:%u:%u", (int)r.file.length, r.file.data, r.line, r.col);
  else
    snprintf(buf, size, "<unknown>");
}
