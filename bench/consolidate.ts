/**
 * bench:consolidate — the national consolidated view and export against one plain SQL aggregate
 * over the same rows, every commune of the country having submitted.
 *
 *   npm run bench:consolidate                     # PGlite in memory, post-2025 (3,321 communes)
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test SCHEME=pre2025 npm run bench:consolidate
 */
import { readFileSync } from "node:fs";
import { scratchDatabase } from "./scratch-db.js";
import { sql } from "drizzle-orm";
import { createDatabase } from "../src/db/client.js";
import { answers, officers, periods, submissions, units } from "../src/db/schema/index.js";
import { createUnitDirectory } from "../src/directory/units.js";
import { createFormRegistry } from "../src/conversations/form-registry.js";
import { ensureReportingDefaults } from "../src/conversations/reporting-defaults.js";
import { consolidate, numericQuestions, toXlsx } from "../src/conversations/consolidation.js";
import { periodStatus } from "../src/conversations/period-status.js";

const SCHEME = (process.env.SCHEME ?? "post2025") as "pre2025" | "post2025";
const RUNS = Number(process.env.RUNS ?? 5);
const baseUrl = process.env.BENCH_DATABASE_URL;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main() {
  const { url, drop } = await scratchDatabase(baseUrl);
  const database = createDatabase({ databaseUrl: url });
  await database.migrate();
  const { db } = database;
  const forms = createFormRegistry();
  const form = forms.latest("child-affairs");
  await createUnitDirectory({ db }).importFile(readFileSync(`seed/vn-admin-units/${SCHEME}_units.csv`), "u.csv", SCHEME);
  const year = SCHEME === "pre2025" ? 2024 : 2026;
  await ensureReportingDefaults(db, forms, new Date(`${year}-06-01T00:00:00Z`));
  const [period] = await db.select().from(periods).where(sql`${periods.key} = ${`${year}-Y`}`);
  const communes = await db.select({ id: units.id }).from(units).where(sql`${units.scheme} = ${SCHEME} and ${units.level} = 'commune'`);
  const [province] = await db.select({ id: units.id }).from(units).where(sql`${units.scheme} = ${SCHEME} and ${units.level} = 'province'`).limit(1);
  const [officer] = await db.insert(officers).values({ name: "Bench", phone: "84900009999", role: "province", unitId: province!.id }).returning();
  const numeric = numericQuestions(form);
  for (let i = 0; i < communes.length; i += 500) {
    const subs = await db
      .insert(submissions)
      .values(communes.slice(i, i + 500).map((u) => ({ periodId: period!.id, unitId: u.id, officerId: officer!.id, formId: form.id, formVersion: form.version, status: "submitted" as const, submittedAt: new Date(), late: false })))
      .returning({ id: submissions.id });
    const rows = subs.flatMap((s) => numeric.map(({ question }, k) => ({ submissionId: s.id, key: question.id, questionId: question.id, valueNum: (s.id * 7 + k) % 50, value: { v: (s.id * 7 + k) % 50 } })));
    for (let j = 0; j < rows.length; j += 5000) await db.insert(answers).values(rows.slice(j, j + 5000));
  }
  await db.execute(sql`analyze`);

  // The whole country: every province is a root; consolidate them all (as the ministry would).
  const roots = await db.select().from(units).where(sql`${units.scheme} = ${SCHEME} and ${units.level} = 'province'`);
  const today = `${year}-12-01`;
  const view: number[] = [];
  const exp: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    raw.push(
      await time(() =>
        db.execute(sql`select split_part(u.path, '.', 1) as province, a.question_id, sum(a.value_num)
          from answers a join submissions s on s.id = a.submission_id join units u on u.id = s.unit_id
          where s.period_id = ${period!.id} and s.status in ('submitted','approved') and u.scheme = ${SCHEME}
          group by 1, 2`),
      ),
    );
    view.push(await time(async () => { for (const root of roots) await periodStatus(db, period!, root, today); }));
    exp.push(await time(async () => { for (const root of roots) await toXlsx(await consolidate(db, period!, root, form)); }));
  }
  const v = median(view), e = median(exp), q = median(raw);
  console.log(`database=${database.kind} scheme=${SCHEME} answers=${communes.length * numeric.length} runs=${RUNS} view_ratio=${(v / q).toFixed(2)} export_ratio=${(e / q).toFixed(2)}`);
  console.log(`view_ms=${v.toFixed(0)} export_ms=${e.toFixed(0)} raw_sql_ms=${q.toFixed(0)} units=${communes.length}`);
  await database.close();
  await drop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
