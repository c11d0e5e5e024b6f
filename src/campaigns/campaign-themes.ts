import { eq } from "drizzle-orm";
import { z } from "zod";
import { auditLog, campaigns } from "../db/schema/index.js";
import { AppError } from "../domain/app-error.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { parseInput } from "../broadcasts/parse-input.js";
import { editableCampaign } from "./campaign-access.js";

export const MAX_THEME = 300;

export const SetThemesInput = z.object({
  campaignId: z.number().int(),
  /** Year ("2027") → theme as typed; empty removes that year's theme. Years not named stay as they are. */
  themes: z.record(z.string().regex(/^\d{4}$/), z.string()),
});

/** The themes as they would be stored: spaces collapsed, empty ones removed. */
export function themesAfter(current: Record<string, string>, typed: Record<string, string>): Record<string, string> {
  const themes = { ...current };
  for (const [year, value] of Object.entries(typed)) {
    const theme = value.normalize("NFC").replace(/\s+/g, " ").trim();
    if (theme) themes[year] = theme;
    else delete themes[year];
  }
  return themes;
}

export interface ThemesResult {
  campaignId: number;
  /** Years whose theme changed, newest first. */
  changedYears: string[];
}

/** Sets the theme of one or more years of a campaign the actor may change; audited "campaign.theme" with each change. */
export async function setCampaignThemes(ctx: ServiceContext, input: z.infer<typeof SetThemesInput>): Promise<ThemesResult> {
  const d = parseInput(SetThemesInput, input);
  const { campaign } = await editableCampaign(ctx, d.campaignId);
  const themes = themesAfter(campaign.themes, d.themes);
  const issues = Object.entries(themes)
    .filter(([, t]) => t.length > MAX_THEME)
    .map(([year, t]) => `Chủ đề năm ${year} dài ${t.length} ký tự, tối đa ${MAX_THEME}.`);
  if (issues.length) throw new AppError("invalid_input", issues[0]!, issues);
  const changedYears = [...new Set([...Object.keys(campaign.themes), ...Object.keys(themes)])]
    .filter((y) => campaign.themes[y] !== themes[y])
    .sort((x, y) => y.localeCompare(x));
  if (changedYears.length) {
    const changes = Object.fromEntries(changedYears.map((y) => [y, { from: campaign.themes[y] ?? null, to: themes[y] ?? null }]));
    await ctx.db.transaction(async (tx) => {
      await tx.update(campaigns).set({ themes }).where(eq(campaigns.id, campaign.id));
      await tx.insert(auditLog).values({ actor: auditName(ctx.actor), action: "campaign.theme", target: `campaign:${campaign.id}`, detail: { changes } });
    });
  }
  return { campaignId: campaign.id, changedYears };
}
