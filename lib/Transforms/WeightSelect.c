#include "Transforms/WeightSelect.h"
#include "coopt/Diagnostics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool cooptWeightSelected(const coopt_weight *w, const coopt_list *ops, int64_t min_elements, const coopt_list *filter) {
  bool op_ok = false;
  for (size_t i = 0; i < ops->size; ++i)
    op_ok |= ((const int *)ops->items)[i] == (int)w->op;
  if (!op_ok || w->num_elements < min_elements)
    return false;
  if (filter->size == 0)
    return true;
  char where[512];
  cooptFormatLocation(mlirOperationGetLocation(w->user), where, sizeof where);
  for (size_t i = 0; i < filter->size; ++i)
    if (strstr(where, ((char *const *)filter->items)[i]))
      return true;
  return false;
}

float *cooptLoadFinite(const coopt_weight *w, const char *pass) {
  float *v = cooptWeightLoad(w);
  for (int64_t i = 0; i < w->num_elements; ++i)
    if (!isfinite(v[i])) {
      char what[512];
      cooptWeightDescribe(w, what, sizeof what);
      cooptEmitError(mlirOperationGetLocation(w->user), "%s: %s has a non-finite value (%g) at index %lld", pass, what,
                     (double)v[i], (long long)i);
      free(v);
      return NULL;
    }
  return v;
}
