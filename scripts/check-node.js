// Runs before `npm start` and the command scripts (through scripts/run.js): on a Node.js older than
// package.json's "engines" asks, one line and exit 1, instead of a stack trace from deep inside a
// dependency. Written in the oldest JavaScript on purpose, so that any Node can parse it.
'use strict';
var path = require('path');

var wanted = require(path.join(__dirname, '..', 'package.json')).engines.node; // ">=22.18"
var min = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(wanted);
if (!min) throw new Error('scripts/check-node.js understands engines.node only as ">=X.Y.Z", got "' + wanted + '"');

function tooOld(version) {
  var have = version.replace(/^v/, '').split('.').map(Number);
  for (var i = 0; i < 3; i++) {
    var need = Number(min[i + 1] || 0);
    if (have[i] !== need) return have[i] < need;
  }
  return false;
}

if (tooOld(process.version)) {
  console.error(
    'This project needs Node.js ' + wanted.replace(/^>=\s*/, '') + ' or later (24 LTS recommended, see .nvmrc); this is Node.js ' +
      process.version + ' at ' + process.execPath + '. With nvm: nvm install && nvm use'
  );
  process.exit(1);
}
