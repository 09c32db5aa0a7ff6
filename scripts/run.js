// `npm start` and the command scripts: node scripts/run.js <entry in dist/, without .js> [args...]
// Checks the Node.js version, rebuilds dist/ only when it is older than what it is built from (a
// fresh clone, an edit, a checkout, a dependency change), then runs the entry in this process.
'use strict';
require('./check-node');
var fs = require('fs');
var path = require('path');
var childProcess = require('child_process');

var root = path.join(__dirname, '..');
var stamp = path.join(root, 'dist', '.build-stamp');

/** The newest modification time among what the build reads (tests excluded: the build leaves them out). */
function newestInput() {
  var newest = 0;
  var inputs = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'].map(function (f) { return path.join(root, f); });
  var walk = function (dir) {
    fs.readdirSync(dir, { withFileTypes: true }).forEach(function (e) {
      var p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/\.test\.ts$/.test(e.name)) inputs.push(p);
    });
  };
  walk(path.join(root, 'src'));
  inputs.forEach(function (f) {
    try { newest = Math.max(newest, fs.statSync(f).mtimeMs); } catch (e) { /* an optional input (no lock file) */ }
  });
  return newest;
}

function builtAt() {
  try { return fs.statSync(stamp).mtimeMs; } catch (e) { return -1; }
}

function build() {
  var tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) {
    console.error('dist/ needs building and TypeScript is not installed: run npm install first');
    process.exit(1);
  }
  // the stamp's time is taken before compiling, so an edit made during the build counts as newer
  var started = new Date();
  var result = childProcess.spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status === null ? 1 : result.status);
  fs.writeFileSync(stamp, started.toISOString() + '\n');
  fs.utimesSync(stamp, started, started);
}

var args = process.argv.slice(2);
if (args[0] === '--build') {
  build();
  process.exit(0);
}
var entry = args[0];
if (!entry || !/^[a-z][a-z/-]*$/.test(entry)) {
  console.error('usage: node scripts/run.js --build | <entry in dist/, e.g. main or cli/admin> [args...]');
  process.exit(2);
}
if (builtAt() < newestInput()) build();
var file = path.join(root, 'dist', entry + '.js');
process.argv = [process.argv[0], file].concat(args.slice(1));
require(file);
