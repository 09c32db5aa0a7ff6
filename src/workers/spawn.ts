import { Worker } from 'node:worker_threads';

/**
 * A worker thread from its built JavaScript; under the tests, where only the TypeScript exists,
 * through a require hook that compiles it with swc (a development dependency) as jest does.
 */
export function spawnWorker(file: string, workerData: unknown): Worker {
  if (file.endsWith('.js')) return new Worker(file, { workerData });
  const boot = `
    const fs = require('node:fs');
    const { transformSync } = require('@swc/core');
    require.extensions['.ts'] = (m, f) => m._compile(transformSync(fs.readFileSync(f, 'utf8'), { filename: f, jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }).code, f);
    require(${JSON.stringify(file)});`;
  return new Worker(boot, { eval: true, workerData });
}
