import { createFormRegistry } from "../../src/forms/form-registry.js";
import { visibleSlots, type Answers } from "../../src/forms/form-runtime.js";

/**
 * What an officer types, question after question, through the whole child-affairs report, the
 * way officers type ("1.234", "62,5tr", "bỏ qua", "có"), and the answers that must end up stored.
 * Both are written out by hand: the kill -9 and PostgreSQL-down fault tests compare what was
 * stored with `expected`, so a parser that read "1.234" as 1 or "62,5tr" as 62,5 fails them.
 */
export interface ReportScript {
  /** "báo cáo", then one message per question, then "nộp". */
  texts: string[];
  /** Answer key (e.g. "abuse_case[0].case_age") → stored value; null for a skipped question. */
  expected: Record<string, unknown>;
}

/** Key, what is typed, what is stored: the path through the form with one abuse case and "no more cases". */
const STEPS: [key: string, typed: string, stored: unknown][] = [
  ["comm_sessions", "3", 3],
  ["comm_people", "1.234", 1234],
  ["comm_children", "200 em", 200],
  ["trainings", "2", 2],
  ["trainees", "2", 2],
  ["special_total", "12", 12],
  ["special_boys", "5", 5],
  ["special_girls", "7", 7],
  ["special_groups", "1, 4", ["a_mo_coi", "d_khuyet_tat"]],
  ["special_supported", "10", 10],
  ["support_kinds", "1", ["y_te"]],
  ["abuse_cases", "1", 1],
  ["abuse_children", "1", 1],
  ["abuse_boys", "0", 0],
  ["abuse_girls", "1", 1],
  ["abuse_age_0_5", "0", 0],
  ["abuse_age_6_10", "1", 1],
  ["abuse_age_11_15", "0", 0],
  ["abuse_case[0].case_form", "1", "bao_luc"],
  ["abuse_case[0].case_sex", "2", "nu"],
  ["abuse_case[0].case_age", "9", 9],
  ["abuse_case[0].case_setting", "1", "gia_dinh"],
  ["abuse_case[0].case_supported", "có", true],
  ["abuse_case[0]#more", "không", false],
  ["drowning_deaths", "1", 1],
  ["drowning_deaths_girls", "0", 0],
  ["accident_deaths", "2", 2],
  ["injuries", "2", 2],
  ["action_month_events", "2", 2],
  ["gifts", "2", 2],
  ["gift_value", "62,5tr", 62_500_000],
  ["fund_raised", "bỏ qua", null],
  ["child_friendly", "1", "dat"],
  ["forums", "2", 2],
  ["forum_children", "2", 2],
  ["database_updated", "có", true],
  ["database_children", "2", 2],
  // report_date: today, typed as a date (see below).
  ["contact_phone", "0912 345 678", "84912345678"],
  ["notes", "Cần thêm kinh phí cho điểm vui chơi 👍", "Cần thêm kinh phí cho điểm vui chơi"],
];

/** Today in Vietnam (UTC+7, no summer time), yyyy-mm-dd. */
const todayInVietnam = () => new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);

/**
 * `today` is the day the server reads the report on: the report date is typed as that day
 * ("07/11/2026"), which is within any open period, rather than "hôm nay", whose value would
 * change if the run crossed midnight.
 */
export function reportScript(today = todayInVietnam()): ReportScript {
  const [y, m, d] = today.split("-");
  const steps = [...STEPS];
  steps.splice(
    steps.findIndex(([key]) => key === "contact_phone"),
    0,
    ["report_date", `${d}/${m}/${y}`, today],
  );
  checkPath(steps);
  return {
    texts: ["báo cáo", ...steps.map(([, typed]) => typed), "nộp"],
    expected: Object.fromEntries(steps.map(([key, , stored]) => [key, stored])),
  };
}

/**
 * The form must still ask these questions in this order, or the script is stale: a guard only,
 * the expected values above do not come from it.
 */
function checkPath(steps: [key: string, typed: string, stored: unknown][]) {
  const form = createFormRegistry().latest("child-affairs");
  const answers: Answers = new Map();
  for (const [key, , stored] of steps) {
    const next = visibleSlots(form, answers).find((s) => !answers.has(s.key));
    if (next?.key !== key) throw new Error(`report script is stale: the form asks ${next?.key ?? "nothing"} where the script answers ${key}`);
    answers.set(key, stored);
  }
  const left = visibleSlots(form, answers).find((s) => !answers.has(s.key));
  if (left) throw new Error(`report script is stale: the form also asks ${left.key}`);
}
