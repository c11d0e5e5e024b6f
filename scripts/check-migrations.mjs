// `npm run check:migrations`: fails when the Drizzle schema and the committed migrations are out
// of step, i.e. when `drizzle-kit generate` would write a new migration. It runs the generator on
// a copy of drizzle/ (the working tree is left as it is) and compares the file lists.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { execFileSync } from "node:child_process";

// Inside the project (tests/.tmp is git-ignored): drizzle-kit takes `out` relative to the working folder.
mkdirSync("tests/.tmp", { recursive: true });
const scratch = relative(process.cwd(), mkdtempSync(join("tests/.tmp", "migrations-")));
try {
  const out = join(scratch, "drizzle");
  cpSync("drizzle", out, { recursive: true });
  const config = join(scratch, "drizzle.config.mjs");
  writeFileSync(config, `export default { dialect: "postgresql", schema: "./src/db/schema/index.ts", out: ${JSON.stringify(`./${out}`)} };\n`);
  const before = readdirSync(out).sort();
  // drizzle-kit exits 0 even when it fails to read the folder: only its own words for "in step" count.
  const said = execFileSync(process.execPath, ["node_modules/drizzle-kit/bin.cjs", "generate", `--config=${config}`], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const added = readdirSync(out).filter((f) => !before.includes(f));
  if (added.length === 0 && !/No schema changes/.test(said)) {
    console.error(`drizzle-kit generate did not say the schema is in step:\n${said}`);
    process.exit(1);
  }
  if (added.length > 0) {
    console.error(
      `The schema (src/db/schema/) has changes no migration holds: drizzle-kit generate would write ${added.join(", ")}. Run \`npm run db:generate\` and commit drizzle/.`,
    );
    process.exit(1);
  }
  console.log(`migrations in step with the schema (${before.filter((f) => f.endsWith(".sql")).length} migrations)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
