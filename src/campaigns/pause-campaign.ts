import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { auditLog, campaigns } from "../db/schema/index.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { parseInput } from "../broadcasts/parse-input.js";
import { editableCampaign } from "./campaign-access.js";

export const SetCampaignActiveInput = z.object({ campaignId: z.number().int(), active: z.boolean() });

export interface CampaignActiveResult {
  campaignId: number;
  name: string;
  active: boolean;
  /** False when it already was so (a second click, a stale page): nothing changed, nothing audited. */
  changed: boolean;
}

/** Pauses (no message goes out) or resumes a campaign the actor may change; audited "campaign.pause"/"campaign.resume". */
export async function setCampaignActive(ctx: ServiceContext, input: z.infer<typeof SetCampaignActiveInput>): Promise<CampaignActiveResult> {
  const { campaignId, active } = parseInput(SetCampaignActiveInput, input);
  const { campaign } = await editableCampaign(ctx, campaignId);
  return ctx.db.transaction(async (tx) => {
    const changed = await tx
      .update(campaigns)
      .set({ active })
      .where(and(eq(campaigns.id, campaign.id), eq(campaigns.active, !active)))
      .returning({ id: campaigns.id });
    if (changed.length) {
      await tx.insert(auditLog).values({
        actor: auditName(ctx.actor),
        action: active ? "campaign.resume" : "campaign.pause",
        target: `campaign:${campaign.id}`,
        detail: { name: campaign.name },
      });
    }
    return { campaignId: campaign.id, name: campaign.name, active, changed: changed.length > 0 };
  });
}
