import { demoRefusal, isDemoAccount } from "../directory/demo-accounts.js";
import { and, asc, eq } from "drizzle-orm";
import { campaigns, campaignSteps, units } from "../db/schema/index.js";
import { AppError } from "../domain/app-error.js";
import { contains } from "../domain/scope.js";
import { DEMO_SCHEME, type Unit } from "../directory/units.js";
import type { Actor, ServiceContext } from "../directory/actor.js";

export type Campaign = typeof campaigns.$inferSelect;
export type CampaignStep = typeof campaignSteps.$inferSelect;

export interface CampaignAccess {
  campaign: Campaign;
  /** The unit whose subtree receives it; undefined for a national campaign. */
  root: Unit | undefined;
  canEdit: boolean;
}

const isDemoActor = (actor: Actor) => actor.kind === "officer" && isDemoAccount(actor.officer, actor.unit);
export { demoRefusal };

/** May the actor make a campaign for the whole country (admins of the real tree; the operator). */
export const mayRunNational = (actor: Actor): boolean => (actor.kind === "system" ? true : actor.officer.role === "admin" && !isDemoActor(actor));

/** What the actor may do with a campaign; undefined when it is not theirs to see (a 404, as if missing). */
export async function accessTo(ctx: ServiceContext, campaign: Campaign): Promise<CampaignAccess | undefined> {
  if (campaign.audience.rootCode === undefined) {
    // National campaigns belong to one world: the official one's are not a demo account's to see or edit.
    if ((campaign.audience.scheme === DEMO_SCHEME) !== isDemoActor(ctx.actor)) return undefined;
    return { campaign, root: undefined, canEdit: mayRunNational(ctx.actor) };
  }
  const [root] = await ctx.db
    .select()
    .from(units)
    .where(and(eq(units.scheme, campaign.audience.scheme), eq(units.code, campaign.audience.rootCode)));
  return root && contains(ctx.actor.scope, root) ? { campaign, root, canEdit: true } : undefined;
}

/** The campaign when the actor may see it; otherwise not_found. */
export async function campaignInScope(ctx: ServiceContext, campaignId: number): Promise<CampaignAccess> {
  // Ids beyond int4 would be a database error, not a missing campaign.
  const [campaign] =
    Number.isSafeInteger(campaignId) && campaignId > 0 && campaignId < 2 ** 31 ? await ctx.db.select().from(campaigns).where(eq(campaigns.id, campaignId)) : [];
  const access = campaign ? await accessTo(ctx, campaign) : undefined;
  if (!access) throw new AppError("not_found", "Không tìm thấy chiến dịch.");
  return access;
}

/** The campaign when the actor may change it: not_found when not theirs to see, forbidden when only to read. */
export async function editableCampaign(ctx: ServiceContext, campaignId: number): Promise<CampaignAccess> {
  const access = await campaignInScope(ctx, campaignId);
  if (!access.canEdit)
    throw new AppError("forbidden", isDemoActor(ctx.actor) ? demoRefusal("chiến dịch toàn quốc") : "Chiến dịch toàn quốc chỉ quản trị viên được sửa.");
  return access;
}

export const stepsOf = (ctx: ServiceContext, campaignId: number): Promise<CampaignStep[]> =>
  ctx.db.select().from(campaignSteps).where(eq(campaignSteps.campaignId, campaignId)).orderBy(asc(campaignSteps.id));

/** A step of a campaign the actor may change (not_found for a step of another campaign). */
export async function editableStep(ctx: ServiceContext, campaignId: number, stepId: number): Promise<{ access: CampaignAccess; step: CampaignStep }> {
  const access = await editableCampaign(ctx, campaignId);
  const [step] =
    Number.isSafeInteger(stepId) && stepId > 0 && stepId < 2 ** 31
      ? await ctx.db
          .select()
          .from(campaignSteps)
          .where(and(eq(campaignSteps.id, stepId), eq(campaignSteps.campaignId, access.campaign.id)))
      : [];
  if (!step) throw new AppError("not_found", "Không tìm thấy bước này của chiến dịch.");
  return { access, step };
}

/** Every campaign the actor may see, oldest first, with its steps. */
export async function listCampaigns(ctx: ServiceContext): Promise<(CampaignAccess & { steps: CampaignStep[] })[]> {
  const out: (CampaignAccess & { steps: CampaignStep[] })[] = [];
  for (const campaign of await ctx.db.select().from(campaigns).orderBy(asc(campaigns.id))) {
    const access = await accessTo(ctx, campaign);
    if (access) out.push({ ...access, steps: await stepsOf(ctx, campaign.id) });
  }
  return out;
}
