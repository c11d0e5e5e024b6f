import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { auditLog, campaignSteps } from "../db/schema/index.js";
import { describeRule, type StepRule } from "../domain/campaign-dates.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { parseInput } from "../broadcasts/parse-input.js";
import { editableCampaign, editableStep, type CampaignStep } from "./campaign-access.js";
import { MAX_STEP_TEXT } from "./step-form.js";

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const DayMonth = z.object({ day: int(1, 31), month: int(1, 12) });

/** A step's date rule (src/domain/campaign-dates.ts), checked at the use case's entry. */
export const StepRuleSchema: z.ZodType<StepRule> = z.lazy(() =>
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("solar"), day: int(1, 31), month: int(1, 12) }),
    z.object({ kind: z.literal("lunar"), day: int(1, 30), month: int(1, 12) }),
    z.object({ kind: z.literal("relative"), to: StepRuleSchema, days: int(-365, 365) }),
    z.object({ kind: z.literal("last-weekday"), month: int(1, 12), weekday: int(0, 6) }),
    z.object({ kind: z.literal("weekly"), from: DayMonth, to: DayMonth, weekday: int(0, 6) }),
  ]),
);

const StepFields = {
  rule: StepRuleSchema,
  sendAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Giờ gửi phải theo dạng HH:MM, ví dụ 08:00."),
  text: z.string().trim().min(1, "Chưa có nội dung tin nhắn.").max(MAX_STEP_TEXT, `Nội dung dài quá ${MAX_STEP_TEXT} ký tự.`),
};

export const AddStepInput = z.object({ campaignId: z.number().int(), ...StepFields });
export const EditStepInput = z.object({ campaignId: z.number().int(), stepId: z.number().int(), ...StepFields });
export const DeleteStepInput = z.object({ campaignId: z.number().int(), stepId: z.number().int() });

export interface StepResult {
  campaignId: number;
  step: CampaignStep;
  /** The step's date in words ("23/12 âm lịch"), for the caller's message. */
  when: string;
}

/** Adds a step to a campaign the actor may change; audited "campaign.step.add". */
export async function addCampaignStep(ctx: ServiceContext, input: z.infer<typeof AddStepInput>): Promise<StepResult> {
  const d = parseInput(AddStepInput, input);
  const { campaign } = await editableCampaign(ctx, d.campaignId);
  return ctx.db.transaction(async (tx) => {
    // Step keys are never reused: the planner's dedupe key contains it, and a deleted step's
    // key reused on the same day would silently swallow the new step's messages.
    const [row] = await tx
      .insert(campaignSteps)
      .values({ campaignId: campaign.id, key: `new-${randomUUID()}`, rule: d.rule, sendAt: d.sendAt, text: d.text })
      .returning({ id: campaignSteps.id });
    const key = `step-${row!.id}`;
    const [step] = await tx.update(campaignSteps).set({ key }).where(eq(campaignSteps.id, row!.id)).returning();
    await tx.insert(auditLog).values({
      actor: auditName(ctx.actor),
      action: "campaign.step.add",
      target: `campaign:${campaign.id}`,
      detail: { stepId: row!.id, key, rule: d.rule, sendAt: d.sendAt, text: d.text },
    });
    return { campaignId: campaign.id, step: step!, when: describeRule(d.rule) };
  });
}

/** Changes a step's date rule, time or text; audited "campaign.step.edit" with before and after. */
export async function editCampaignStep(ctx: ServiceContext, input: z.infer<typeof EditStepInput>): Promise<StepResult> {
  const d = parseInput(EditStepInput, input);
  const { access, step } = await editableStep(ctx, d.campaignId, d.stepId);
  return ctx.db.transaction(async (tx) => {
    const [saved] = await tx.update(campaignSteps).set({ rule: d.rule, sendAt: d.sendAt, text: d.text }).where(eq(campaignSteps.id, step.id)).returning();
    await tx.insert(auditLog).values({
      actor: auditName(ctx.actor),
      action: "campaign.step.edit",
      target: `campaign:${access.campaign.id}`,
      detail: { stepId: step.id, before: { rule: step.rule, sendAt: step.sendAt, text: step.text }, after: { rule: d.rule, sendAt: d.sendAt, text: d.text } },
    });
    return { campaignId: access.campaign.id, step: saved!, when: describeRule(d.rule) };
  });
}

/** Deletes a step; audited "campaign.step.delete" with what it was. */
export async function deleteCampaignStep(ctx: ServiceContext, input: z.infer<typeof DeleteStepInput>): Promise<StepResult> {
  const d = parseInput(DeleteStepInput, input);
  const { access, step } = await editableStep(ctx, d.campaignId, d.stepId);
  await ctx.db.transaction(async (tx) => {
    await tx.delete(campaignSteps).where(eq(campaignSteps.id, step.id));
    await tx.insert(auditLog).values({
      actor: auditName(ctx.actor),
      action: "campaign.step.delete",
      target: `campaign:${access.campaign.id}`,
      detail: { stepId: step.id, key: step.key, rule: step.rule, sendAt: step.sendAt, text: step.text },
    });
  });
  return { campaignId: access.campaign.id, step, when: describeRule(step.rule) };
}
