/*
 * Structure guarantees recorded on weight constants.
 *
 * Each compression pass records what it guarantees as the discardable
 * attribute `coopt.structure` on the tosa.const, e.g.
 *   {sparsity = 0.5 : f64, pattern = "2:4", clusters = 16 : i64, per_channel = true}
 * merged with what earlier passes recorded.  coopt-verify-structure checks
 * every claim against the values; the passes use the same checks to keep
 * earlier claims true.
 */
#ifndef COOPT_LIB_STRUCTURE_H
#define COOPT_LIB_STRUCTURE_H

#include "Analysis/Weights.h"

typedef enum coopt_pattern_kind {
  COOPT_PAT_NONE,
  COOPT_PAT_UNSTRUCTURED,
  COOPT_PAT_NM,
  COOPT_PAT_BLOCK
} coopt_pattern_kind;

typedef struct coopt_pattern {
  coopt_pattern_kind kind;
  int n, m; /* N:M */
  int r, c; /* RxC block over (output channel, reduction) */
} coopt_pattern;

typedef struct coopt_structure {
  bool has_sparsity;
  double sparsity; /* fraction of zero weights */
  coopt_pattern pattern;
  double block_sparsity; /* RxC pattern: fraction of all-zero blocks */
  bool has_clusters;
  int64_t clusters; /* distinct values per tensor, or per channel */
  bool per_channel;
} coopt_structure;

/* Parse "unstructured", "N:M" (1 <= N < M <= 64) or "RxC" (1..64 each). */
bool cooptParsePattern(const char *text, coopt_pattern *out, char *msg, size_t msg_size);
void cooptFormatPattern(const coopt_pattern *p, char *buf, size_t size);

/* The extent of the pattern's groups: consecutive reduction values (M of
 * N:M, C of RxC; 1 otherwise) and output channels (R of RxC; 1 otherwise).
 * A pattern applies to a weight only where these tile it. */
int64_t cooptPatternGroupCols(const coopt_pattern *p);
int64_t cooptPatternGroupRows(const coopt_pattern *p);

/* Read (all fields false when absent) and write the attribute. */
coopt_structure cooptGetStructure(const coopt_weight *w);
/* Does the record claim anything (sparsity, a pattern, clusters)? */
bool cooptStructureClaims(const coopt_structure *s);
void cooptSetStructure(const coopt_weight *w, const coopt_structure *s);

/* Check canonical-order values against a claim.  On violation returns false
 * and describes the first violation in msg. */
bool cooptCheckStructure(const coopt_weight *w, const float *values, const coopt_structure *s, char *msg,
                         size_t msg_size);

/* Set sparsity (and block_sparsity for an RxC pattern) from the values. */
void cooptMeasureSparsity(const coopt_weight *w, const float *values, coopt_structure *s);

/* Fraction of all-zero RxC blocks (partial edge blocks count as blocks). */
double cooptBlockSparsity(const float *values, int64_t rows, int64_t cols, int r, int c);

/* Is the record (if any) well formed: a dictionary of the known keys with
 * values of the right type and range?  Describes the first defect in msg. */
bool cooptCheckStructureRecord(const coopt_weight *w, char *msg, size_t msg_size);

/* Check every record and claim under root; one located error per violated claim,
 * worded "<prefix>coopt.structure violated for <tensor>: <what><suffix>". */
bool cooptVerifyStructureClaims(MlirOperation root, const char *prefix, const char *suffix);

#endif
