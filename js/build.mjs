// Builds the dashboard's front end: js/src -> exmc_widgets/static/dashboard.{js,css}.
// The bundle is committed (installing Exmc needs no npm). Its first line carries a hash of
// the sources; tests/widgets/test_bundle.py recomputes it, so a source edited without a
// rebuild fails the tests. `make js` runs this.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
const out = join(here, "..", "exmc_widgets", "static");

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

// sha256 over (relative path, NUL, content, NUL) of every source, in sorted path order
export function sourcesHash() {
  const hash = createHash("sha256");
  const inputs = [...files(join(here, "src")), join(here, "build.mjs"), join(here, "package-lock.json")]
    .map((path) => [relative(here, path).split(sep).join("/"), path])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, path] of inputs) {
    hash.update(name);
    hash.update("\0");
    hash.update(readFileSync(path));
    hash.update("\0");
  }
  return hash.digest("hex");
}

const banner = `/* exmc dashboard, built by js/build.mjs from js/src; sources-sha256: ${sourcesHash()} */`;
const common = { bundle: true, logLevel: "warning", legalComments: "none", banner: { js: banner, css: banner } };

await esbuild.build({
  ...common,
  entryPoints: [join(here, "src", "index.js")],
  outfile: join(out, "dashboard.js"),
  format: "esm",
  target: "es2020",
});
await esbuild.build({ ...common, entryPoints: [join(here, "src", "dashboard.css")], outfile: join(out, "dashboard.css") });
console.log(`built ${relative(process.cwd(), out)}/dashboard.{js,css}`);
