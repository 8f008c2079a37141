#!/usr/bin/env node
// Run an ONNX model with onnxruntime-node (CPU EP, optimisation 'all') on a raw float32 NCHW
// input and write its outputs raw (benchmark tooling, not CI: tools/qdq_check.py calls it).
//
// Usage: NODE_PATH=/tmp/peers/ort/node_modules node tools/ort_run.js MODEL IN.f32 N H W OUT_PREFIX
//            [--threads T] [--optimized OPT.onnx] [--profile PREFIX]
//   IN.f32        N images [N, 3, H, W], little-endian float32
//   OUT_PREFIX    writes OUT_PREFIX.<output name>.f32 for every model output
//   --optimized   also save the graph ORT runs after its optimisations (to see what it fused)
//   --profile     write ORT's JSON profile (per-node kernel times) with this prefix
//   --config K=V  a session config entry (e.g. session.x64quantprecision=1), repeatable
//   --repeat R    run R times (default 1; the outputs are the last run's), e.g. to profile
//                 warm runs: tools/ort_profile.py sums the profile per operator
// Prints one line per output: `output NAME shape=...`, and `RESULT ...` last.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const a = process.argv.slice(2);
  const pos = [];
  const opt = { threads: 1, repeat: 1, config: {} };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--threads') opt.threads = parseInt(a[++i], 10);
    else if (a[i] === '--optimized') opt.optimized = a[++i];
    else if (a[i] === '--profile') opt.profile = a[++i];
    else if (a[i] === '--config') {
      const kv = a[++i], eq = kv.indexOf('=');
      if (eq < 1) throw new Error(`--config wants KEY=VALUE, not '${kv}'`);
      opt.config[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a[i] === '--repeat') opt.repeat = Math.max(1, parseInt(a[++i], 10));
    else pos.push(a[i]);
  }
  if (pos.length !== 6) throw new Error('usage: ort_run.js MODEL IN.f32 N H W OUT_PREFIX [options]');
  const [model, input, ns, hs, ws, prefix] = pos;
  const n = parseInt(ns, 10), h = parseInt(hs, 10), w = parseInt(ws, 10);
  const so = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: opt.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  // onnxruntime-node takes config entries as nested `extra` objects split at the dots
  for (const [k, v] of Object.entries(opt.config)) {
    let o = (so.extra = so.extra || {});
    const parts = k.split('.');
    for (const p of parts.slice(0, -1)) o = (o[p] = o[p] || {});
    o[parts[parts.length - 1]] = v;
  }
  if (opt.optimized) so.optimizedModelFilePath = opt.optimized;
  if (opt.profile) { so.enableProfiling = true; so.profileFilePrefix = opt.profile; }
  const session = await ort.InferenceSession.create(model, so);
  const buf = fs.readFileSync(input);
  const want = n * 3 * h * w * 4;
  if (buf.length !== want) throw new Error(`${input}: ${buf.length} bytes, expected ${want}`);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + want));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [n, 3, h, w]) };
  let out;
  for (let r = 0; r < opt.repeat; r++) out = await session.run(feeds);
  for (const name of session.outputNames) {
    const t = out[name];
    fs.writeFileSync(`${prefix}.${name}.f32`, Buffer.from(t.data.buffer, t.data.byteOffset,
                                                          t.data.byteLength));
    console.log(`output ${name} shape=${t.dims.join('x')}`);
  }
  if (opt.profile && session.endProfiling) session.endProfiling();
  console.log(`RESULT peer=ort model=${model} images=${n} threads=${opt.threads}`);
  if (session.release) await session.release();
}

main().catch((e) => {
  console.log(`RESULT peer=ort status=FAILED error="${String(e.message || e).split('\n')[0]}"`);
  process.exit(1);
});
