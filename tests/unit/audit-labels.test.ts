import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, AUDIT_ACTION_OPTIONS, auditActionLabel, auditDetailFields, auditValue } from "../../src/audit/audit-labels.js";
import { parseTarget } from "../../src/audit/audit-log.js";

const SRC = join(import.meta.dirname, "..", "..", "src");
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : /\.tsx?$/.test(f) ? [join(dir, f)] : []));

/**
 * Every action string src/ writes into the audit log: `action: "…"`, `action: \`…${x}\``
 * (a prefix: some label must continue it), and the action argument of the pages' `kit.audit(tx, s, "…")`.
 */
function writtenActions() {
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  // The label table itself is not a writer (its detail labels have an `action` key too).
  for (const file of files(SRC).filter((f) => !f.endsWith(join("audit", "audit-labels.ts")))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/action: "([^"]+)"/g)) exact.add(m[1]!);
    for (const m of text.matchAll(/action: `([^`$]*)(\$\{)?[^`]*`/g)) (m[2] ? prefixes : exact).add(m[1]!);
    for (const m of text.matchAll(/audit\([\w.]+, [\w.]+, "([^"]+)"/g)) exact.add(m[1]!);
    for (const m of text.matchAll(/audit\([\w.]+, [\w.]+, `([^`$]*)\$\{/g)) prefixes.add(m[1]!);
    for (const m of text.matchAll(/audit\(tx, ctx, "([^"]+)"/g)) exact.add(m[1]!);
  }
  return { exact, prefixes };
}

describe("the audit log in words", () => {
  it("every action written anywhere in src/ has a Vietnamese label, and the log's filter offers each of them", () => {
    const { exact, prefixes } = writtenActions();
    expect(exact.size).toBeGreaterThan(10); // the grep found the writers
    const unlabelled = [...exact].filter((a) => !(a in AUDIT_ACTIONS));
    expect(unlabelled).toEqual([]);
    for (const p of prefixes)
      expect(
        Object.keys(AUDIT_ACTIONS).some((a) => a.startsWith(p)),
        `a label continuing "${p}"`,
      ).toBe(true);
    expect(AUDIT_ACTION_OPTIONS.map((o) => o.value)).toEqual(Object.keys(AUDIT_ACTIONS));
    for (const a of ["campaign.create", "campaign.step.add", "incident.acknowledge", "incident.read_refused"])
      expect(AUDIT_ACTION_OPTIONS.map((o) => o.value)).toContain(a);
  });

  it("an action the table does not know is shown as recorded", () => {
    expect(auditActionLabel("campaign.step.add")).toBe("Thêm bước chiến dịch");
    expect(auditActionLabel("something.new")).toBe("something.new");
  });

  it("a detail reads as labelled fields, not JSON: codes in words, booleans as có/không, lists joined, nested fields named", () => {
    expect(auditDetailFields({ format: "csv", via: "api" })).toEqual([
      { label: "Định dạng", value: "CSV" },
      { label: "Qua", value: "API" },
    ]);
    expect(auditDetailFields({ closed: false, refs: ["KC-2026-0001", "KC-2026-0002"] })).toEqual([
      { label: "Hồ sơ đã đóng", value: "không" },
      { label: "Các mã", value: "KC-2026-0001, KC-2026-0002" },
    ]);
    expect(auditValue({ start: "21:00", end: "06:00" })).toBe("Bắt đầu: 21:00; Kết thúc: 06:00");
    expect(auditValue([])).toBe("—");
    expect(auditDetailFields({ unknownKey: 3 })).toEqual([{ label: "unknownKey", value: "3" }]);
    const long = auditDetailFields({ text: "x".repeat(400) })[0]!.value;
    expect(long).toHaveLength(161);
    expect(long.endsWith("…")).toBe(true);
  });

  it("targets are read for what they name; anything else is left as recorded", () => {
    expect(parseTarget("officer:5")).toEqual({ kind: "officer", id: 5 });
    expect(parseTarget("unit:pre2025:106")).toEqual({ kind: "unit", scheme: "pre2025", code: "106" });
    expect(parseTarget("KC-2026-0001")).toEqual({ kind: "incident", ref: "KC-2026-0001" });
    expect(parseTarget("submission:7")).toEqual({ kind: "submission", id: 7 });
    expect(parseTarget("broadcast:3")).toEqual({ kind: "broadcast", id: 3 });
    expect(parseTarget("campaign:2")).toEqual({ kind: "campaign", id: 2 });
    expect(parseTarget("calendar:child-affairs:post2025:12:2026")).toEqual({ kind: "calendar", scheme: "post2025", code: "12", year: "2026" });
    for (const t of ["web", "2026-H1:pre2025:106", "officer:abc", "officer:99999999999", "settings:quiet_hours"]) expect(parseTarget(t), t).toBeUndefined();
  });
});

describe("the audit log's own reads", () => {
  it("a filter recorded with a read names the action in words", () => {
    expect(auditDetailFields({ filters: { action: "incident.close", who: "", page: 0 } })).toEqual([
      { label: "Bộ lọc", value: "Việc: Đóng báo cáo khẩn; Trang: 0" },
    ]);
  });
});
