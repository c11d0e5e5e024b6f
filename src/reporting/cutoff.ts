/** A day of a month as templates write their deadlines and cut-offs: "15/05". */
export const DDMM = /^(0[1-9]|[12]\d|3[01])\/(0[1-9]|1[0-2])$/;

/** The data cut-off of a period of a template (yyyy-mm-dd), if the template sets one. */
export function cutoffFor(template: { cutoff?: Record<string, string> | null }, period: { key: string; endsOn: string }): string | undefined {
  const [year, slot] = period.key.split("-");
  const ddmm = slot ? template.cutoff?.[slot] : undefined;
  if (!ddmm || !DDMM.test(ddmm) || !year) return undefined;
  return `${year}-${ddmm.slice(3, 5)}-${ddmm.slice(0, 2)}`;
}
