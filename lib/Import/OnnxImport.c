/*
 * ONNX -> TOSA importer.
 *
 * The graph is translated node by node into MLIR text (parsed and verified by
 * MLIR afterwards), with static shapes tracked here.  Conventions:
 *   - every rank-4 activation is kept NHWC inside the function (TOSA's
 *     convolution layout); the function interface stays ONNX's NCHW, so the
 *     only activation transposes are at the boundary, or where an op's
 *     semantics need the logical order (a Reshape of a non-trivial NHWC
 *     tensor, for instance);
 *   - weight layout changes (OIHW -> OHWI, Gemm transB, alpha, ...) are folded
 *     into the constants, which are emitted lazily at their first use;
 *   - every op carries the ONNX node name as its location, so diagnostics of
 *     later passes name the model's own nodes.
 * Anything not handled exactly (an op, attribute value or data type) is an
 * error naming the node and the op, never an approximation.
 */
#include "Import/Importer.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Attribute lists shared by several rows. */
static const char *const no_attributes[] = {NULL};
static const char *const conv_attributes[] = {"auto_pad", "dilations", "group", "kernel_shape",
                                              "pads",     "strides",   NULL};

/* Every op the importer translates, in the order of docs/Import.md.  An op
 * type with several rows changed its attributes or inputs at an opset. */
static const im_op op_table[] = {
    /* convolution, pooling and matrix products (OpsConvolution.c) */
    {"Conv", 1, im_op_conv_any, conv_attributes, 2, 0, NULL, NULL},
    {"MaxPool", 1, im_op_pool,
     (const char *const[]){"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides",
                           NULL},
     1, IM_POOL_MAX, NULL, NULL},
    {"AveragePool", 1, im_op_pool,
     (const char *const[]){"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides", NULL}, 1,
     IM_POOL_AVG, NULL, NULL},
    {"GlobalAveragePool", 1, im_op_pool, no_attributes, 1, IM_POOL_GLOBAL_AVG, NULL, NULL},
    {"Gemm", 1, im_op_gemm, (const char *const[]){"alpha", "beta", "transA", "transB", NULL}, 2, 0, NULL, NULL},
    {"MatMul", 1, im_op_matmul, no_attributes, 2, 0, NULL, NULL},
    /* element-wise ops and normalization (OpsElementwise.c) */
    {"Add", 1, im_op_binary, no_attributes, 2, BIN_ADD, NULL, NULL},
    {"Sub", 1, im_op_binary, no_attributes, 2, BIN_SUB, NULL, NULL},
    {"Mul", 1, im_op_binary, no_attributes, 2, BIN_MUL, NULL, NULL},
    {"Div", 1, im_op_binary, no_attributes, 2, BIN_DIV, NULL, NULL},
    {"Relu", 1, im_op_relu, no_attributes, 1, 0, NULL, NULL},
    /* Clip's bounds were attributes before opset 11, optional inputs since. */
    {"Clip", 1, im_op_clip, (const char *const[]){"min", "max", NULL}, 1, 0, NULL, NULL},
    {"Clip", 11, im_op_clip, no_attributes, 1, 0, NULL, NULL},
    {"LeakyRelu", 1, im_op_leaky_relu, (const char *const[]){"alpha", NULL}, 1, 0, NULL, NULL},
    {"Sigmoid", 1, im_op_unary, no_attributes, 1, 0, "tosa.sigmoid", NULL},
    {"Tanh", 1, im_op_unary, no_attributes, 1, 0, "tosa.tanh", NULL},
    {"Softmax", 1, im_op_softmax, (const char *const[]){"axis", NULL}, 1, 0, NULL, NULL},
    {"BatchNormalization", 1, im_op_batchnorm,
     (const char *const[]){"epsilon", "momentum", "training_mode", "spatial", NULL}, 5, 0, NULL, NULL},
    {"Identity", 1, im_op_identity, no_attributes, 1, 0, NULL, NULL},
    {"Dropout", 1, im_op_identity, (const char *const[]){"seed", "ratio", NULL}, 1, 1, NULL, NULL},
    /* shape and layout ops (OpsShape.c) */
    {"Reshape", 1, NULL, NULL, 0, 0, NULL, "Reshape before opset 5 (shape attribute) is not supported"},
    {"Reshape", 5, im_op_reshape, (const char *const[]){"allowzero", NULL}, 2, 0, NULL, NULL},
    {"Flatten", 1, im_op_flatten, (const char *const[]){"axis", NULL}, 1, 0, NULL, NULL},
    /* Squeeze's and Unsqueeze's axes became an input at opset 13, Pad's
     * pads and value at opset 11. */
    {"Squeeze", 1, im_op_squeeze, (const char *const[]){"axes", NULL}, 1, 0, NULL, NULL},
    {"Squeeze", 13, im_op_squeeze, no_attributes, 1, 0, NULL, NULL},
    {"Unsqueeze", 1, im_op_unsqueeze, (const char *const[]){"axes", NULL}, 1, 0, NULL, NULL},
    {"Unsqueeze", 13, im_op_unsqueeze, no_attributes, 1, 0, NULL, NULL},
    {"Transpose", 1, im_op_transpose, (const char *const[]){"perm", NULL}, 1, 0, NULL, NULL},
    {"Concat", 1, im_op_concat, (const char *const[]){"axis", NULL}, 0, 0, NULL, NULL},
    {"Pad", 1, im_op_pad, (const char *const[]){"mode", "pads", "value", NULL}, 1, 0, NULL, NULL},
    {"Pad", 11, im_op_pad, (const char *const[]){"mode", NULL}, 1, 0, NULL, NULL},
    /* Constant checks its one value attribute itself. */
    {"Constant", 1, im_op_constant, NULL, 0, 0, NULL, NULL},
    /* quantized ops (OpsQuantization.c) */
    {"QuantizeLinear", 1, im_op_quantize, (const char *const[]){"axis", "saturate", NULL}, 2, 0, NULL, NULL},
    {"DequantizeLinear", 1, im_op_dequantize, (const char *const[]){"axis", NULL}, 2, 0, NULL, NULL},
    {"ConvInteger", 1, im_op_integer, conv_attributes, 2, 1, NULL, NULL},
    {"MatMulInteger", 1, im_op_integer, no_attributes, 2, 0, NULL, NULL},
    {"QLinearConv", 1, im_op_qlinear, conv_attributes, 8, 1, NULL, NULL},
    {"QLinearMatMul", 1, im_op_qlinear, no_attributes, 8, 0, NULL, NULL},
};

/* The row for the node's op type at the model's opset, or NULL. */
static const im_op *find_op(const char *op_type, int opset) {
  const im_op *found = NULL;
  for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; ++i)
    if (!strcmp(op_table[i].op_type, op_type) && op_table[i].since_opset <= opset &&
        (!found || op_table[i].since_opset > found->since_opset))
      found = &op_table[i];
  return found;
}

static bool dispatch(importer *im) {
  if (im->node->domain && im->node->domain[0] && strcmp(im->node->domain, "ai.onnx"))
    return im_fail(im, "operator domain '%s' is not supported", im->node->domain);
  const im_op *op = find_op(im->node->op_type, im->opset);
  if (!op)
    return im_fail(im, "operator is not supported");
  if (!op->translate)
    return im_fail(im, "%s", op->refusal);
  if (op->attributes && !im_check_attrs(im, op->attributes))
    return false;
  for (unsigned i = 0; i < op->required_inputs; ++i)
    if (!im_has_input(im, i))
      return im_fail(im, "missing input %u", i);
  return op->translate(im, op);
}

static bool graph_input(importer *im, const Onnx__ValueInfoProto *vi, int index, int position, coopt_buf *sig) {
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return im_fail(im, "graph input '%s' is not a tensor", vi->name);
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  int et = tt->elem_type;
  if (et != ET_F32 && et != ET_I8 && et != ET_U8 && et != ET_I32)
    return et == ET_I64
               ? im_fail(im,
                         "graph input '%s' has ONNX data type 7 (int64) (graph input #%d: bind it to a constant "
                         "with --bind)",
                         vi->name, position)
               : im_fail(im, "graph input '%s' has ONNX data type %d, which is not supported", vi->name, et);
  if (!tt->shape)
    return im_fail(im, "graph input '%s' has no shape", vi->name);
  if (tt->shape->n_dim > MAXR)
    return im_fail(im, "graph input '%s' has rank %zu (at most %d supported)", vi->name, tt->shape->n_dim, MAXR);
  int64_t dims[MAXR];
  int rank = (int)tt->shape->n_dim;
  for (int i = 0; i < rank; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value > 0)
      dims[i] = d->dim_value;
    else if (i == 0 && im->batch > 0)
      dims[i] = im->batch;
    else if (i == 0)
      return im_fail(im, "graph input '%s' has a dynamic batch dimension; give --batch=N", vi->name);
    else
      return im_fail(im, "graph input '%s' has a dynamic dimension %d, which is not supported", vi->name, i);
  }
  /* A shape may name more elements than int64 counts; every size computed
   * from it later (buffers, loops, the runner's inputs) would overflow. */
  int64_t count = 1;
  for (int i = 0; i < rank; ++i)
    if (__builtin_mul_overflow(count, dims[i], &count) || count > MAX_INPUT_ELEMENTS)
      return im_fail(im, "graph input '%s' has more than %lld elements", vi->name, (long long)MAX_INPUT_ELEMENTS);
  value *v = im_add_value(im, vi->name, et, rank, dims);
  v->is_arg = true;
  v->id = index;
  v->input_pos = position;
  char loc[600];
  memcpy(loc, im->loc, sizeof loc);
  im_set_loc(im, vi->name);
  coopt_buf_printf(sig, "%s%%arg%d: %s%s %s", index ? ", " : "", index, im_ttype(et, rank, dims),
                   et == ET_U8 ? " {coopt.unsigned}" : "", im->loc);
  if (rank == 4) {
    /* The interface is NCHW; inside, activations are NHWC. */
    char src[32];
    snprintf(src, sizeof src, "%%arg%d", index);
    int id = im_emit_transpose(im, src, et, 4, dims, TO_NHWC);
    v->is_arg = false;
    v->id = id;
    snprintf(v->logical, sizeof v->logical, "%s", src);
  }
  memcpy(im->loc, loc, sizeof loc);
  return true;
}

/* protobuf-c leaves absent optional strings NULL: check every string the
 * importer reads, once, so that a corrupt model is a diagnostic. */
static bool validate_strings(importer *im, const Onnx__GraphProto *g) {
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *n = g->node[i];
    if (!n->op_type || !*n->op_type)
      return im_fail(im, "node #%zu has no op_type", i);
    for (size_t k = 0; k < n->n_attribute; ++k)
      if (!n->attribute[k]->name)
        return im_fail(im, "node #%zu (%s) has an attribute without a name", i, n->op_type);
    for (size_t k = 0; k < n->n_input; ++k)
      if (!n->input[k])
        return im_fail(im, "node #%zu (%s) has a null input name", i, n->op_type);
    if (n->n_output == 0)
      return im_fail(im, "node #%zu (%s) has no outputs", i, n->op_type);
    for (size_t k = 0; k < n->n_output; ++k)
      if (!n->output[k])
        return im_fail(im, "node #%zu (%s) has a null output name", i, n->op_type);
  }
  for (size_t i = 0; i < g->n_initializer; ++i)
    if (!g->initializer[i]->name || !*g->initializer[i]->name)
      return im_fail(im, "initializer #%zu has no name", i);
  for (size_t i = 0; i < g->n_input; ++i)
    if (!g->input[i]->name || !*g->input[i]->name)
      return im_fail(im, "graph input #%zu has no name", i);
  for (size_t i = 0; i < g->n_output; ++i)
    if (!g->output[i]->name || !*g->output[i]->name)
      return im_fail(im, "graph output #%zu has no name", i);
  return true;
}

static void append_string_attr(coopt_buf *b, const char *s) {
  coopt_buf_putc(b, '"');
  for (const char *p = s; *p; ++p) {
    if (*p == '"' || *p == '\\')
      coopt_buf_putc(b, '\\');
    if ((unsigned char)*p < 0x20)
      coopt_buf_printf(b, "\\%02X", (unsigned char)*p);
    else
      coopt_buf_putc(b, *p);
  }
  coopt_buf_putc(b, '"');
}

/* The file, parsed, with a graph and a supported default-domain opset. */
static Onnx__ModelProto *read_model(importer *im, const char *path, coopt_buf *file) {
  if (!coopt_read_file(path, file)) {
    im_fail(im, "cannot read '%s': %s", path, strerror(errno));
    return NULL;
  }
  Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, file->size, (const uint8_t *)file->data);
  if (!model) {
    im_fail(im, "not a valid ONNX model (truncated or corrupt protobuf)");
    return NULL;
  }
  if (!model->graph) {
    im_fail(im, "the model has no graph");
    return model;
  }
  im->opset = -1;
  for (size_t i = 0; i < model->n_opset_import; ++i) {
    const char *d = model->opset_import[i]->domain;
    if (d && *d && strcmp(d, "ai.onnx"))
      continue;
    if (im->opset != -1) {
      im_fail(im, "the default domain is imported twice (opset %d and %lld)", im->opset,
              (long long)model->opset_import[i]->version);
      return model;
    }
    im->opset = (int)model->opset_import[i]->version;
  }
  if (im->opset < 1 || im->opset > 18)
    im_fail(im, "opset %d of the default domain is not supported (1 to 18)", im->opset);
  return model;
}

static bool import_initializers(importer *im, const Onnx__GraphProto *g) {
  im_set_loc(im, "initializers");
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    int et, rank;
    int64_t dims[MAXR];
    void *data;
    if (!im_tensor_data(im, t, &et, &rank, dims, &data))
      return false;
    value *v = im_add_value(im, t->name, et, rank, dims);
    v->data = data;
  }
  return true;
}

/* Older IR versions list initializers as graph inputs too. */
static bool is_initializer(const Onnx__GraphProto *g, const char *name) {
  for (size_t k = 0; k < g->n_initializer; ++k)
    if (!strcmp(g->initializer[k]->name, name))
      return true;
  return false;
}

/* A bound input is a constant of exactly the declared type. */
static bool bind_input(importer *im, const Onnx__ValueInfoProto *in, const coopt_onnx_binding *bind) {
  const Onnx__TypeProto *tp = in->type;
  int declared = tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type
                     ? tp->tensor_type->elem_type
                     : bind->onnx_type;
  size_t es = cooptOnnxTypeSize(bind->onnx_type);
  if (declared != bind->onnx_type || bind->rank > MAXR || !es)
    return im_fail(im, "binding for graph input '%s' has ONNX data type %d, the input is declared %d", in->name,
                   bind->onnx_type, declared);
  value *v = im_add_value(im, in->name, bind->onnx_type, bind->rank, bind->dims);
  size_t bytes = (size_t)im_numel(bind->dims, bind->rank) * es;
  v->data = coopt_xmalloc(bytes ? bytes : 1);
  memcpy(v->data, bind->data, bytes);
  return true;
}

/* The graph inputs: bound ones become constants, the rest arguments of
 * @main (their signature in `sig`). */
static bool import_inputs(importer *im, const Onnx__GraphProto *g, const coopt_onnx_import_options *options,
                          coopt_buf *sig) {
  int nargs = 0, position = 0;
  size_t used_bindings = 0;
  for (size_t i = 0; i < g->n_input; ++i) {
    if (is_initializer(g, g->input[i]->name))
      continue;
    const coopt_onnx_binding *bind = NULL;
    char hash[32];
    snprintf(hash, sizeof hash, "#%d", position++);
    for (size_t k = 0; options && k < options->num_bindings; ++k)
      if (!strcmp(options->bindings[k].name, g->input[i]->name) || !strcmp(options->bindings[k].name, hash))
        bind = &options->bindings[k];
    if (bind ? !bind_input(im, g->input[i], bind) : !graph_input(im, g->input[i], nargs++, position - 1, sig))
      return false;
    used_bindings += bind != NULL;
  }
  if (options && used_bindings != options->num_bindings)
    return im_fail(im, "a binding names no graph input of the model");
  return true;
}

static bool import_nodes(importer *im, const Onnx__GraphProto *g) {
  for (size_t i = 0; i < g->n_node; ++i) {
    im->node = g->node[i];
    char fallback[64];
    snprintf(fallback, sizeof fallback, "%s_%zu", im->node->op_type, i);
    im_set_loc(im, im->node->name && *im->node->name ? im->node->name : fallback);
    if (!dispatch(im))
      return false;
  }
  im->node = NULL;
  return true;
}

/* What @main returns: the values, their types, and the signature's types
 * (with the unsigned marks). */
typedef struct graph_results {
  coopt_buf rets, rtypes, rsig;
} graph_results;

static bool collect_results(importer *im, const Onnx__GraphProto *g, graph_results *r) {
  im_set_loc(im, "outputs");
  if (g->n_output == 0)
    return im_fail(im, "the graph has no outputs");
  for (size_t i = 0; i < g->n_output; ++i) {
    value *v = im_find(im, g->output[i]->name);
    if (!v)
      return im_fail(im, "graph output '%s' is not produced by any node", g->output[i]->name);
    const char *ref = im_logical_ref(im, v);
    if (!ref)
      return false;
    coopt_buf_printf(&r->rets, "%s%s", i ? ", " : "", ref);
    coopt_buf_printf(&r->rtypes, "%s%s", i ? ", " : "", im_ttype(v->et, v->rank, v->dims));
    coopt_buf_printf(&r->rsig, "%s%s%s", i ? ", " : "", im_ttype(v->et, v->rank, v->dims),
                     v->et == ET_U8 ? " {coopt.unsigned}" : "");
  }
  return true;
}

static void emit_metadata(coopt_buf *out, const Onnx__ModelProto *model) {
  coopt_buf_puts(out, ", coopt.metadata = {");
  /* A dictionary attribute takes each key once and no empty key (fuzz-onnx:
   * a repeated key made the text unparsable); the first wins. */
  for (size_t i = 0, kept = 0; i < model->n_metadata_props; ++i) {
    const char *key = model->metadata_props[i]->key;
    bool repeated = !key || !*key;
    for (size_t j = 0; j < i && !repeated; ++j)
      repeated = model->metadata_props[j]->key && !strcmp(model->metadata_props[j]->key, key);
    if (repeated)
      continue;
    if (kept++)
      coopt_buf_puts(out, ", ");
    append_string_attr(out, key);
    coopt_buf_puts(out, " = ");
    append_string_attr(out, model->metadata_props[i]->value ? model->metadata_props[i]->value : "");
  }
  coopt_buf_puts(out, "}");
}

static void emit_module(const importer *im, const char *path, const Onnx__ModelProto *model, const coopt_buf *sig,
                        const graph_results *r, coopt_buf *out) {
  const Onnx__GraphProto *g = model->graph;
  /* A newline in the path would end the comment and start MLIR text. */
  coopt_buf_printf(out, "// Imported from ");
  for (const char *p = path; *p; ++p)
    coopt_buf_putc(out, (unsigned char)*p < 0x20 ? '?' : *p);
  coopt_buf_printf(out, " by coopt-translate --import-onnx\n");
  coopt_buf_printf(out, "module attributes {coopt.onnx_opset = %d : i64", im->opset);
  if (model->n_metadata_props)
    emit_metadata(out, model);
  coopt_buf_printf(out, "} {\n  func.func @main(%s) -> (%s) attributes {coopt.input_names = [",
                   sig->data ? sig->data : "", r->rsig.data);
  for (size_t i = 0, k = 0; i < g->n_input; ++i) {
    if (is_initializer(g, g->input[i]->name))
      continue;
    if (k++)
      coopt_buf_puts(out, ", ");
    append_string_attr(out, g->input[i]->name);
  }
  coopt_buf_puts(out, "], coopt.output_names = [");
  for (size_t i = 0; i < g->n_output; ++i) {
    if (i)
      coopt_buf_puts(out, ", ");
    append_string_attr(out, g->output[i]->name);
  }
  coopt_buf_puts(out, "]} {\n");
  coopt_buf_append(out, im->body.data ? im->body.data : "", im->body.size);
  coopt_buf_printf(out, "    return %s : %s\n  }\n}\n", r->rets.data, r->rtypes.data);
}

static void importer_free(importer *im) {
  for (size_t i = 0; i < im->nvals; ++i) {
    free(im->vals[i]->name);
    free(im->vals[i]->data);
    free(im->vals[i]);
  }
  free(im->vals);
  coopt_buf_free(&im->body);
}

MlirLogicalResult cooptImportOnnx(const char *path, const coopt_onnx_import_options *options, MlirStringCallback text,
                                  void *text_data, MlirStringCallback error, void *error_data) {
  importer im;
  memset(&im, 0, sizeof im);
  im.zero_f32 = im.shift0 = -1;
  im.batch = options ? options->batch : 0;
  coopt_buf file, out, sig;
  coopt_buf_init(&file);
  coopt_buf_init(&out);
  coopt_buf_init(&sig);
  coopt_buf_init(&im.body);
  graph_results r;
  coopt_buf_init(&r.rets);
  coopt_buf_init(&r.rtypes);
  coopt_buf_init(&r.rsig);
  Onnx__ModelProto *model = read_model(&im, path, &file);
  if (!im.failed && validate_strings(&im, model->graph) && import_initializers(&im, model->graph) &&
      import_inputs(&im, model->graph, options, &sig) && import_nodes(&im, model->graph) &&
      collect_results(&im, model->graph, &r))
    emit_module(&im, path, model, &sig, &r, &out);
  if (model)
    onnx__model_proto__free_unpacked(model, NULL);
  importer_free(&im);
  coopt_buf_free(&r.rets);
  coopt_buf_free(&r.rtypes);
  coopt_buf_free(&r.rsig);
  coopt_buf_free(&file);
  coopt_buf_free(&sig);
  MlirLogicalResult result;
  if (im.failed) {
    if (error)
      error(mlirStringRefCreateFromCString(im.err), error_data);
    result = mlirLogicalResultFailure();
  } else {
    text(mlirStringRefCreate(out.data ? out.data : "", out.size), text_data);
    result = mlirLogicalResultSuccess();
  }
  coopt_buf_free(&out);
  return result;
}
