#!/bin/sh
# Inputs of the bad-input corpus that are derived at test time: cut or
# corrupted copies of the bundled models and of Debian's Fashion-MNIST and
# ONNX test data, which are too large (or not ours) to commit twice.
# usage: make-inputs.sh <test/bad-inputs> <out-dir>
set -eu
S=$1
G=$2
ROOT=$S/../..
FM=/usr/share/datasets/fashion-mnist
ONNXDATA=/usr/share/libonnx-testdata/data/node

# ONNX bytes.
: > "$G/empty.onnx"
head -c 1000 "$ROOT/models/dscnn.onnx" > "$G/truncated.onnx"
# Not a protobuf at all: text.
printf 'this is not an ONNX model\n' > "$G/text.onnx"
cp "$ONNXDATA/test_lstm_defaults/model.onnx" "$G/lstm.onnx"
# The bundled model, imported at batch 1: the valid base the MLIR, pass and
# runner cases break.  Imported from the tree's root by a relative path, so
# the locations it records (and the diagnostics that cite them) do not
# depend on where the tree is.
(cd "$ROOT" && coopt-translate --import-onnx models/dscnn.onnx --batch=1) > "$G/dscnn.mlir"
coopt-opt "$G/dscnn.mlir" --emit-bytecode -o "$G/dscnn.mlirbc"
size=$(wc -c < "$G/dscnn.mlirbc")
head -c $((size / 2)) "$G/dscnn.mlirbc" > "$G/truncated.mlirbc"
# NaN and Inf weights: a valid import, a bad input for compression.
(cd "$S" && coopt-translate --import-onnx Inputs/nan_weights.onnx) > "$G/nan_weights.mlir"
# Non-UTF-8 text and an unterminated function.
printf '\377\376module {\n' > "$G/latin.mlir"
printf 'func.func @main(%%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {\n  %%0 = tosa.clamp %%arg0\n' > "$G/unterminated.mlir"

# IDX data sets: a directory per defect, the other file kept valid.
mkdir -p "$G/idx-magic" "$G/idx-count" "$G/idx-truncgz" "$G/idx-empty"
printf '\000\000\010\077\000\000\000\001' > "$G/idx-magic/t10k-images-idx3-ubyte"
cp "$FM/t10k-labels-idx1-ubyte.gz" "$G/idx-magic/"
cp "$FM/t10k-images-idx3-ubyte.gz" "$G/idx-count/"
# 5 labels for 10,000 images.
printf '\000\000\010\001\000\000\000\005\001\002\003\004\005' > "$G/idx-count/t10k-labels-idx1-ubyte"
head -c 4000 "$FM/t10k-images-idx3-ubyte.gz" > "$G/idx-truncgz/t10k-images-idx3-ubyte.gz"
cp "$FM/t10k-labels-idx1-ubyte.gz" "$G/idx-truncgz/"
# .npy and TensorProto files cut short.
head -c 100 "$S/Inputs/input_one.npy" > "$G/truncated.npy"
printf 'NUMPY\001\000' > "$G/bad_magic.npy"
cp "$ONNXDATA/test_relu/test_data_set_0/input_0.pb" "$G/relu_input.pb"
head -c 30 "$G/relu_input.pb" > "$G/truncated.pb"
