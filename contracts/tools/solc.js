#!/usr/bin/env node
// Minimal native-solc stand-in for forge, backed by the npm `solc` (soljson) package.
// Supports what forge uses: `--version` and `--standard-json` (JSON on stdin, JSON on stdout).
// Imports that forge did not inline are resolved from --base-path / --include-path / cwd.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

const args = process.argv.slice(2);

if (args.includes('--version') || args.includes('-v')) {
  // soljson reports e.g. "0.8.37+commit.f401782d.Emscripten.clang"; forge parses the native format.
  const v = solc.version().replace(/\.Emscripten\.clang$/, '.Linux.g++');
  process.stdout.write('solc, the solidity compiler commandline interface\nVersion: ' + v + '\n');
  process.exit(0);
}

if (!args.includes('--standard-json')) {
  process.stderr.write('tools/solc.js: only --version and --standard-json are supported\n');
  process.exit(1);
}

const roots = [];
for (let i = 0; i < args.length; i++) {
  if ((args[i] === '--base-path' || args[i] === '--include-path') && i + 1 < args.length) roots.push(args[++i]);
  else if (args[i].startsWith('--base-path=') || args[i].startsWith('--include-path=')) roots.push(args[i].split('=').slice(1).join('='));
}
roots.push(process.cwd());

function findImports(p) {
  const candidates = path.isAbsolute(p) ? [p] : roots.map((r) => path.resolve(r, p));
  for (const c of candidates) {
    try { return { contents: fs.readFileSync(c, 'utf8') }; } catch (_) { /* try next */ }
  }
  return { error: 'File not found: ' + p };
}

const input = fs.readFileSync(0, 'utf8');
const output = solc.compile(input, { import: findImports });
process.stdout.write(output);
