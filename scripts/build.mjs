// `npm run build`: compiles src/ to dist/ with esbuild (a dev dependency), one .js per .ts, for the
// oldest Node line baocao supports. Plain JavaScript so that it runs before anything is compiled.
//
// With --if-stale (npm start's prestart, npm run cli's precli) it does nothing while dist/ is newer
// than every source file: a production install, built once and pruned of its dev dependencies
// (npm prune --omit=dev), starts without esbuild. When dist/ is stale there and esbuild is gone, it
// says how to rebuild instead of failing on a missing module.
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const stamp = join(root, "dist", ".built");
/** The line esbuild compiles for: the oldest supported (README, Node versions; package.json engines). */
const TARGET = "node22";

/** Newest modification time of anything the build reads. */
function newestInput() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(join(root, "src"));
  for (const file of ["package.json", "scripts/build.mjs"]) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

if (process.argv.includes("--if-stale") && existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput()) process.exit(0);

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  console.error(
    "dist/ is missing or older than src/, and esbuild (a dev dependency) is not installed here.\n" +
      "Rebuild with `npm ci && npm run build && npm prune --omit=dev` (README, Production), then start with `node dist/main.js`.",
  );
  process.exit(1);
}
// Taken before compiling: a source saved during the build makes the next start build again.
const startedAt = new Date();
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ["src/**/*.ts", "src/**/*.tsx"],
  // jsx and jsxImportSource (hono/jsx) come from tsconfig.json, which esbuild reads.
  outdir: "dist",
  platform: "node",
  format: "esm",
  target: TARGET,
  sourcemap: true,
  logLevel: "warning",
});
mkdirSync(join(root, "dist"), { recursive: true });
writeFileSync(stamp, `${startedAt.toISOString()}\n`);
utimesSync(stamp, startedAt, startedAt);
