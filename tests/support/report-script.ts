import { createFormRegistry } from "../../src/conversations/form-registry.js";
import { failingChecks, parseAnswer, visibleSlots, type Answers } from "../../src/conversations/form-runtime.js";

/**
 * What an officer types, question after question, through the whole child-affairs report, the
 * way officers type ("1.234", "24 triệu", "bỏ qua", "có"), and the answers that must end up
 * stored. The path through the form (skip logic, one abuse case, "no more cases") is computed
 * with the same pure rules as the engine, so it follows the form if the form changes.
 */
export interface ReportScript {
  /** "báo cáo", then one message per question, then "nộp". */
  texts: string[];
  /** Answer key (e.g. "abuse_case[0].case_age") → stored value; null for a skipped question. */
  expected: Record<string, unknown>;
}

const TYPED: Record<string, string> = {
  comm_sessions: "3",
  comm_people: "1.234",
  comm_children: "200 em",
  special_total: "12",
  special_boys: "5",
  special_girls: "7",
  special_groups: "1, 4",
  special_supported: "10",
  support_kinds: "1",
  abuse_cases: "1",
  abuse_children: "1",
  abuse_boys: "0",
  abuse_girls: "1",
  abuse_age_0_5: "0",
  abuse_age_6_10: "1",
  abuse_age_11_15: "0",
  case_form: "1",
  case_sex: "2",
  case_age: "9",
  case_setting: "1",
  case_supported: "có",
  more: "không",
  drowning_deaths: "1",
  drowning_deaths_girls: "0",
  gift_value: "24 triệu",
  fund_raised: "bỏ qua",
  child_friendly: "1",
  database_updated: "có",
  // A fixed past date rather than "hôm nay": the expected value must not change at midnight.
  report_date: "02/01/2026",
  contact_phone: "0912 345 678",
  notes: "Cần thêm kinh phí cho điểm vui chơi 👍",
};

export function reportScript(today = new Date().toISOString().slice(0, 10)): ReportScript {
  const form = createFormRegistry().latest("child-affairs");
  const answers: Answers = new Map();
  const texts = ["báo cáo"];
  for (;;) {
    const next = visibleSlots(form, answers).find((s) => !answers.has(s.key));
    if (!next) break;
    const text = TYPED[next.question.id] ?? "2";
    if (text === "bỏ qua") {
      answers.set(next.key, null);
    } else {
      const parsed = parseAnswer(next.question, { text }, { today });
      if (!parsed.ok) throw new Error(`report script: ${next.key} does not accept "${text}": ${parsed.message}`);
      answers.set(next.key, parsed.value);
    }
    texts.push(text);
  }
  const failing = failingChecks(form, answers);
  if (failing.length > 0) throw new Error(`report script fails the form's checks: ${JSON.stringify(failing)}`);
  texts.push("nộp");
  return { texts, expected: Object.fromEntries(answers) };
}
