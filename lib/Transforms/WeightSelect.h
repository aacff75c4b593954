/* Options and helpers shared by the weight-rewriting passes. */
#ifndef COOPT_LIB_WEIGHT_SELECT_H
#define COOPT_LIB_WEIGHT_SELECT_H

#include "Analysis/Weights.h"
#include "coopt/Pass.h"

/* Does weight w pass the ops / min-elements / filter selection?  `filter`
 * is a list of substrings of the user op's location (empty = all). */
bool cooptWeightSelected(const coopt_weight *w, const coopt_list *ops, int64_t min_elements, const coopt_list *filter);

/* Load values and reject NaN/Inf with an error naming the tensor.  Returns
 * NULL (error emitted) on non-finite weights. */
float *cooptLoadFinite(const coopt_weight *w, const char *pass);

#endif
