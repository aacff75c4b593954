#include "Data/Samples.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "coopt/TensorIO.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool cooptValidateSampleOptions(const char *data, const coopt_list *normalize, char *msg, size_t size) {
  if (!data[0]) {
    snprintf(msg, size, "needs data=<IDX directory or .npy file>");
    return false;
  }
  if (normalize->size != 0 && (normalize->size != 2 || !(((double *)normalize->items)[1] > 0))) {
    snprintf(msg, size, "normalize expects two values, mean,std with std > 0");
    return false;
  }
  return true;
}

bool cooptLoadSamples(const char *data, int64_t limit, const coopt_list *normalize, MlirOperation module,
                      int64_t per_sample, coopt_samples *out, char *err, size_t err_size) {
  struct stat st;
  coopt_tensor t;
  bool images = false;
  char path[4096];
  memset(out, 0, sizeof *out);
  if (stat(data, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", data);
    if (access(path, R_OK) != 0)
      snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", data);
    if (!cooptIdxLoad(path, &t, err, err_size))
      return false;
    images = true;
  } else if (!cooptTensorLoad(data, &t, err, err_size)) {
    return false;
  }
  bool ok = false;
  int64_t n = t.type.rank ? t.type.dims[0] : 0;
  int64_t per = n ? cooptTensorElements(&t.type) / n : 0;
  double mean = 0, std = 1;
  if (n == 0 || per == 0) {
    snprintf(err, err_size, "calibration data '%s' is empty", data);
  } else if (per != per_sample) {
    snprintf(err, err_size, "calibration data '%s' has %lld values per sample but the model input has %lld", data,
             (long long)per, (long long)per_sample);
  } else if (images ? t.type.dtype != COOPT_U8 : t.type.dtype != COOPT_F32) {
    snprintf(err, err_size, "calibration data '%s' must be %s, not %s", data, images ? "u8 images" : "f32",
             cooptDtypeName(t.type.dtype));
  } else if (images && normalize->size == 0 &&
             !(cooptMetadataNumber(module, "normalize_mean", &mean) &&
               cooptMetadataNumber(module, "normalize_std", &std) && std > 0)) {
    snprintf(err, err_size,
             "no input normalisation for IDX images: give normalize=<mean>,<std> (the model has no "
             "coopt.metadata normalize_mean/normalize_std)");
  } else {
    if (normalize->size == 2)
      mean = ((double *)normalize->items)[0], std = ((double *)normalize->items)[1];
    int64_t count = limit < n ? limit : n;
    out->count = count;
    out->per_sample = per;
    out->values = coopt_xmalloc((size_t)(count * per) * sizeof(float));
    ok = true;
    for (int64_t i = 0; i < count && ok; ++i) {
      /* Evenly spread, deterministic: sample i is item floor(i * n / count). */
      int64_t src = i * n / count /* both < 2^31 in any real data set */;
      for (int64_t k = 0; k < per; ++k) {
        float v = images ? (float)(((double)((uint8_t *)t.data)[src * per + k] / 255.0 - mean) / std)
                         : ((float *)t.data)[src * per + k];
        if (!isfinite(v)) {
          snprintf(err, err_size, "calibration data '%s' has a non-finite value (%g) in item %lld", data, (double)v,
                   (long long)src);
          ok = false;
          break;
        }
        out->values[i * per + k] = v;
      }
    }
    if (!ok)
      cooptSamplesFree(out);
  }
  cooptTensorFree(&t);
  return ok;
}

void cooptSamplesFree(coopt_samples *s) {
  free(s->values);
  memset(s, 0, sizeof *s);
}
