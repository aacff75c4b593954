// onnxruntime (npm onnxruntime-node) on the same ONNX model and data as
// coopt-runner: Fashion-MNIST test accuracy and throughput at a batch size,
// and batch-1 latency, 1 intra-op thread.  A benchmark peer, not a test.
//   node bench/ort-eval.js model.onnx batch mean std
const fs = require('fs');
const zlib = require('zlib');
const ort = require('onnxruntime-node');

function idx(path) {
  const raw = zlib.gunzipSync(fs.readFileSync(path));
  const ndim = raw[3];
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(raw.readUInt32BE(4 + 4 * i));
  return { dims, data: raw.subarray(4 + 4 * ndim) };
}

async function main() {
  const [model, batchArg, meanArg, stdArg] = process.argv.slice(2);
  const batch = parseInt(batchArg, 10), mean = parseFloat(meanArg), std = parseFloat(stdArg);
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const session = await ort.InferenceSession.create(model, opts);
  const images = idx('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
  const labels = idx('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
  const n = images.dims[0], per = images.dims[1] * images.dims[2];
  const input = session.inputNames[0], output = session.outputNames[0];
  let correct = 0;
  const x = new Float32Array(batch * per);
  const t0 = process.hrtime.bigint();
  for (let base = 0; base < n; base += batch) {
    const cnt = Math.min(batch, n - base);
    for (let b = 0; b < batch; b++)
      for (let p = 0; p < per; p++)
        x[b * per + p] = b < cnt ? (images.data[(base + b) * per + p] / 255 - mean) / std : 0;
    const r = await session.run({ [input]: new ort.Tensor('float32', x, [batch, 1, 28, 28]) });
    const y = r[output].data, classes = y.length / batch;
    for (let b = 0; b < cnt; b++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if (y[b * classes + k] > y[b * classes + best]) best = k;
      if (best === labels.data[base + b]) correct++;
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const one = new ort.Tensor('float32', new Float32Array(per), [1, 1, 28, 28]);
  for (let i = 0; i < 20; i++) await session.run({ [input]: one });
  const times = [];
  for (let i = 0; i < 200; i++) {
    const s = process.hrtime.bigint();
    await session.run({ [input]: one });
    times.push(Number(process.hrtime.bigint() - s) / 1e3);
  }
  times.sort((a, b) => a - b);
  console.log(`onnxruntime ${ort.env.versions ? ort.env.versions.common : ''}: accuracy ${(100 * correct / n).toFixed(2)}%, ` +
              `${(n / secs).toFixed(0)} images/s (batch ${batch}), batch-1 latency median ${times[100].toFixed(1)} us`);
}
main().catch((e) => { console.error(e); process.exit(1); });
