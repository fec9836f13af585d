// Runs the configurator CLI built for wasm32-wasip1 under Node's WASI.
// usage: node --single-threaded-gc wasm/run-wasi.mjs [path/to/configurator.wasm] -- SUBCOMMAND ARGS...
// (Node 20's concurrent GC sometimes corrupts its heap while a wasm program with hundreds of MB
// of linear memory runs: a crash after the program's output; the single-threaded GC avoids it)
// Host directories are visible under their own absolute paths: the repository's ../shared, the
// current directory, and any directories listed in WASI_DIRS (colon-separated).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const target = process.env.CARGO_TARGET_DIR ?? resolve(here, '../../../target');
const wasmPath = split > 0 ? argv[0] : resolve(target, 'wasm32-wasip1/release/configurator.wasm');
const args = split >= 0 ? argv.slice(split + 1) : argv;

const dirs = [process.cwd(), resolve(here, '../../../../shared')];
for (const d of (process.env.WASI_DIRS ?? '').split(':')) if (d) dirs.push(resolve(d));
const preopens = {};
for (const d of dirs) if (existsSync(d)) preopens[d] = d;

const wasi = new WASI({ version: 'preview1', args: ['configurator', ...args], env: {}, preopens, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
