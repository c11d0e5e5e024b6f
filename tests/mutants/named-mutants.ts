/**
 * Named mutants (npm run test:mutants): the breakages that matter most, written out by hand,
 * each applied to a copy of the project and run against the unit tests. Stryker (npm run
 * test:mutation) makes thousands of small mutants, but not these: it never deletes one entry of a
 * table ("tỷ"), drops one condition of a call (the scheme in underRoot) or one character of a
 * string (the "." of a path prefix), and it skips module-level tables unless asked.
 *
 *   npm run test:mutants                    this tree's code and unit tests
 *   npm run test:mutants -- --at <ref>      the code and unit tests of an older commit ("before");
 *                                           a mutant whose line that code does not hold is n/a
 *   npm run test:mutants -- --tests <ref>   this code against an older commit's unit tests
 *
 * Test files that fail on the unmutated code are left out (and named).
 *
 * Exits 1 when a mutant survives. The working tree is never modified: the copy is in a temp folder.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Mutant {
  name: string;
  file: string;
  from: string;
  to: string;
  /** The same mutant as written in the code before the rule was rewritten (for --at 8d0cbb8). */
  old?: [from: string, to: string];
}

const MUTANTS: Mutant[] = [
  {
    name: "the 'tỷ' multiplier deleted",
    file: "src/domain/numbers.ts",
    from: "  ty: 1_000_000_000,\n",
    to: "",
    old: ["    else if (/^ty\\b/.test(u)) value *= 1_000_000_000;\n", ""],
  },
  { name: "the 'ngàn' alias deleted", file: "src/domain/numbers.ts", from: "  ngan: 1_000,\n", to: "", old: ["/^nghin\\b|^ngan\\b/", "/^nghin\\b/"] },
  { name: "the 'triệu' multiplier deleted", file: "src/domain/numbers.ts", from: "  trieu: 1_000_000,\n", to: "", old: ["/^trieu\\b/", "/^trieu-\\b/"] },
  { name: "'k' worth a hundred", file: "src/domain/numbers.ts", from: "  k: 1_000,\n", to: "  k: 100,\n" },
  { name: "'rưỡi' no longer understood", file: "src/domain/numbers.ts", from: 'const HALF = "ruoi";', to: 'const HALF = "ruoi-";' },
  { name: "'đồng' no longer a currency word", file: "src/domain/numbers.ts", from: '["d", "dong", "vnd", "₫"]', to: '["d", "vnd", "₫"]' },
  {
    name: "a right-to-left override no longer refused",
    file: "src/domain/text.ts",
    from: 'const OPENERS = "\\u202A\\u202B\\u202D\\u202E\\u2066\\u2067\\u2068";',
    to: 'const OPENERS = "\\u202A\\u202B\\u202D\\u2066\\u2067\\u2068";',
  },
  { name: "inSubtree ignores the scheme", file: "src/http/admin/kit.ts", from: "return root.scheme === unit.scheme && (", to: "return (" },
  {
    name: "underRoot ignores the scheme",
    file: "src/http/admin/kit.ts",
    from: "and(eq(units.scheme, root.scheme), root.path",
    to: "and(undefined, root.path",
    old: ["and(eq(units.scheme, root.scheme), sql", "and(undefined, sql"],
  },
  {
    name: "inSubtree's path prefix without its '.'",
    file: "src/http/admin/kit.ts",
    from: "unit.path.startsWith(`${root.path}.`)",
    to: "unit.path.startsWith(`${root.path}`)",
  },
  { name: "underRoot's path prefix without its '.'", file: "src/http/admin/kit.ts", from: "${root.path} || '.%'", to: "${root.path} || '%'" },
  {
    name: "inSubtree: the whole country no longer holds everything",
    file: "src/http/admin/kit.ts",
    from: 'root.path === "" || unit.path === root.path',
    to: "unit.path === root.path",
  },
  { name: "a commune's default deadline one day later", file: "src/domain/periods.ts", from: "commune: 5, district: 10", to: "commune: 6, district: 10" },
  { name: "quiet hours end a minute late", file: "src/domain/quiet-hours.ts", from: "minute >= s || minute < e", to: "minute >= s || minute <= e" },
  { name: "a phone with the wrong country accepted", file: "src/domain/phone.ts", from: 'parsed.country !== "VN"', to: "false" },
];

const root = join(import.meta.dirname, "..", "..");
const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const codeRef = option("--at");
const testsRef = option("--tests") ?? codeRef;

const work = mkdtempSync(join(tmpdir(), "baocao-mutants-"));
try {
  for (const entry of ["src", "tests", "seed", "drizzle", "package.json", "tsconfig.json", "vitest.unit.config.ts"]) {
    cpSync(join(root, entry), join(work, entry), { recursive: true, filter: (p) => !p.includes(`${join("tests", ".tmp")}`) });
  }
  symlinkSync(join(root, "node_modules"), join(work, "node_modules"), "dir");
  if (testsRef) {
    // An older commit's unit tests (and with --at its code too), with today's test support.
    const from = codeRef ? ["src", "tests/unit"] : ["tests/unit"];
    for (const dir of from) rmSync(join(work, dir), { recursive: true, force: true });
    const archive = execFileSync("git", ["-C", root, "archive", testsRef, ...from], { maxBuffer: 256 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", work], { input: archive });
  }

  /** Runs the unit tests in the copy; returns the test files that failed. */
  const failingFiles = (files: string[] = []): string[] => {
    const report = join(work, "report.json");
    rmSync(report, { force: true });
    spawnSync(
      process.execPath,
      [join(work, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "vitest.unit.config.ts", "--reporter=json", `--outputFile=${report}`, ...files],
      { cwd: work, stdio: "ignore" },
    );
    if (!existsSync(report)) return ["(vitest did not run)"];
    const result = JSON.parse(readFileSync(report, "utf8")) as { testResults: { name: string; status: string }[] };
    return result.testResults.filter((r) => r.status !== "passed").map((r) => r.name.slice(work.length + 1));
  };

  const every = execFileSync("find", ["tests/unit", "-name", "*.test.ts"], { cwd: work, encoding: "utf8" }).trim().split("\n").sort();
  const broken = failingFiles();
  const files = every.filter((f) => !broken.includes(f));
  if (broken.length > 0) console.log(`left out, failing on the unmutated code: ${broken.join(", ")}`);
  console.log(`unit tests${testsRef ? ` of ${testsRef}` : ""}: ${files.length} of ${every.length} files`);
  if (files.length === 0) throw new Error("no unit test passes on the unmutated code");

  let killed = 0;
  let applicable = 0;
  const survivors: string[] = [];
  for (const m of MUTANTS) {
    const path = join(work, m.file);
    const original = existsSync(path) ? readFileSync(path, "utf8") : "";
    const [from, to] = !original.includes(m.from) && codeRef && m.old && original.includes(m.old[0]) ? m.old : [m.from, m.to];
    if (!original.includes(from)) {
      // Today's code must hold every mutant's line; an older commit may not have that rule yet.
      if (!codeRef) throw new Error(`mutant "${m.name}": ${m.file} no longer holds ${JSON.stringify(m.from)} (update the mutant)`);
      console.log(`n/a      ${m.name} (not in the code of ${codeRef})`);
      continue;
    }
    applicable++;
    writeFileSync(path, original.replace(from, to));
    try {
      const failed = failingFiles(files);
      if (failed.length > 0) {
        killed++;
        console.log(`killed   ${m.name} (by ${failed.join(", ")})`);
      } else {
        survivors.push(m.name);
        console.log(`SURVIVED ${m.name}`);
      }
    } finally {
      writeFileSync(path, original);
    }
  }
  console.log(
    `named mutants: ${killed}/${applicable} killed (score ${((100 * killed) / applicable).toFixed(0)} %)${applicable < MUTANTS.length ? `, ${MUTANTS.length - applicable} n/a` : ""}`,
  );
  process.exitCode = survivors.length > 0 ? 1 : 0;
} finally {
  rmSync(work, { recursive: true, force: true });
}
