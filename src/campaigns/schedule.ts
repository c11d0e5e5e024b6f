import type { campaignSteps } from "../db/schema/index.js";
import { campaignText, datesOfRule, waitsForTheme, type StepRule } from "../domain/campaign-dates.js";
import { isValidDate } from "../domain/dates.js";

type Step = typeof campaignSteps.$inferSelect;

/** The dates a rule gives in a year; a malformed stored rule gives none rather than a broken page. */
export function safeDates(rule: StepRule, year: number): string[] {
  try {
    return datesOfRule(rule, year).filter((d) => isValidDate(Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10))));
  } catch {
    return [];
  }
}

/** The next date and time any step of the campaign sends, from today on. */
export function nextSend(steps: Pick<Step, "rule" | "sendAt">[], today: string): { date: string; sendAt: string } | undefined {
  const year = Number(today.slice(0, 4));
  const upcoming = steps
    .flatMap((s) => [...safeDates(s.rule, year), ...safeDates(s.rule, year + 1)].map((date) => ({ date, sendAt: s.sendAt })))
    .filter((x) => x.date >= today)
    .sort((a, b) => (a.date + a.sendAt).localeCompare(b.date + b.sendAt));
  return upcoming[0];
}

/** Every message of a year, in order, as the planner will send it (theme and year filled in). */
export function yearCalendar(steps: Pick<Step, "rule" | "sendAt" | "text">[], themes: Record<string, string>, year: number) {
  return steps
    .flatMap((st) =>
      safeDates(st.rule, year).map((date) => {
        /** Names a theme the year does not have: held back, never sent with an empty «»; shown with «…» where the theme goes. */
        const waiting = waitsForTheme(st.text, themes, year);
        return { date, sendAt: st.sendAt, text: campaignText(st.text, waiting ? { ...themes, [String(year)]: "…" } : themes, year), waiting };
      }),
    )
    .sort((x, y) => (x.date + x.sendAt).localeCompare(y.date + y.sendAt));
}
