// Runs test vectors against an ELM library with cql-execution (the CQL engine of the
// CQF tooling). Usage: node run_elm.js LIBRARY.elm.json VECTORS.json
// Prints one JSON line: the outcome of every vector, in order
// (true -> approved, false -> denied, null -> undetermined).
'use strict';
const fs = require('fs');
const cql = require('cql-execution');

function defineOf(vector) {
  if (vector.tree === 'not_covered') return 'decision:not_covered';
  const which = vector.indication === null ? 'any' : String(vector.indication);
  return `decision:${which}:${vector.tree}`;
}

function outcome(value) {
  if (value === true) return 'approved';
  if (value === false) return 'denied';
  if (value === null || value === undefined) return 'undetermined';
  throw new Error(`not a decision: ${JSON.stringify(value)}`);
}

async function main() {
  const [elmPath, vectorsPath] = process.argv.slice(2);
  const elm = JSON.parse(fs.readFileSync(elmPath, 'utf8'));
  const file = JSON.parse(fs.readFileSync(vectorsPath, 'utf8'));
  const declared = new Set(elm.library.parameters.def.map((p) => p.name));
  const out = [];
  for (const vector of file.vectors) {
    const params = {};
    for (const [key, value] of Object.entries(vector.facts)) {
      if (declared.has(key) && value !== null) params[key] = value;
    }
    const library = new cql.Library(elm);
    const executor = new cql.Executor(library, undefined, params);
    const results = await executor.exec(new cql.PatientSource([]));
    out.push(outcome(results.unfilteredResults[defineOf(vector)]));
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
