// Mutation run (npm run test:mutation): the pure rules of src/domain/ and the one scope rule of the
// admin web (inSubtree and underRoot in src/http/admin/kit.ts), against the unit tests only, so
// that it stays quick enough to repeat. Stryker works on a copy in /tmp: the working tree is
// never modified, even when the run is interrupted.
import { readFileSync } from "node:fs";

/** The lines of kit.ts that hold the scope rule, found by name so that edits above them do not shift the range. */
function scopeRuleLines() {
  const lines = readFileSync(new URL("./src/http/admin/kit.ts", import.meta.url), "utf8").split("\n");
  const first = lines.findIndex((l) => l.startsWith("export function inSubtree"));
  const underRoot = lines.findIndex((l) => l.startsWith("export const underRoot"));
  if (first < 0 || underRoot < 0) throw new Error("inSubtree / underRoot not found in src/http/admin/kit.ts");
  let last = underRoot;
  while (last + 1 < lines.length && lines[last + 1].trim() !== "") last++;
  return `${first + 1}-${last + 1}`;
}

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.unit.config.ts", related: false },
  mutate: ["src/domain/**/*.ts", `src/http/admin/kit.ts:${scopeRuleLines()}`],
  coverageAnalysis: "perTest",
  // "Static" mutants (module-level constants: tables, regexps built at import) cannot be traced to
  // single tests, so each re-runs the whole unit suite with a runner restart: 156 of them took more
  // than half of a 40-minute run and timed out under load. Left out unless STRYKER_STATIC=1.
  ignoreStatic: process.env.STRYKER_STATIC !== "1",
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  tempDirName: process.env.STRYKER_TMP ?? "/tmp/baocao-stryker",
  cleanTempDir: "always",
  ignorePatterns: ["docs", "tests/.tmp", "data", "dist", "reports"],
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: process.env.STRYKER_REPORT ?? "/tmp/baocao-stryker-report.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  timeoutMS: 20_000,
  thresholds: { high: 90, low: 80, break: null },
};
