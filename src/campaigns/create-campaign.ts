import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { auditLog, campaigns, units } from "../db/schema/index.js";
import { AppError } from "../domain/app-error.js";
import { contains } from "../domain/scope.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import type { Audience } from "../delivery/audience.js";
import { parseInput } from "../broadcasts/parse-input.js";
import { demoRefusal, mayRunNational } from "./campaign-access.js";
import { campaignKeyOf } from "./labels.js";

export const MAX_CAMPAIGN_NAME = 200;
export const CAMPAIGN_ROLES = ["commune", "district", "province"] as const;

export const CreateCampaignInput = z.object({
  name: z.string().transform((s) => s.normalize("NFC").replace(/\s+/g, " ").trim()),
  /** The unit whose subtree receives it (in the actor's tree); null = the whole country. */
  rootCode: z.string().min(1).nullable(),
  roles: z.array(z.enum(CAMPAIGN_ROLES)),
});

export interface CreatedCampaign {
  id: number;
  key: string;
  name: string;
}

/**
 * A new campaign, without steps yet, for a subtree in the actor's scope (or the whole country for
 * an admin of the real tree). Every problem is listed at once (invalid_input, `issues`).
 * Audited ("campaign.create") in the same transaction.
 */
export async function createCampaign(ctx: ServiceContext, input: z.input<typeof CreateCampaignInput>): Promise<CreatedCampaign> {
  const d = parseInput(CreateCampaignInput, input);
  const issues: string[] = [];
  if (!d.name) issues.push("Chưa có tên chiến dịch.");
  if (d.name.length > MAX_CAMPAIGN_NAME) issues.push(`Tên dài ${d.name.length} ký tự, tối đa ${MAX_CAMPAIGN_NAME}.`);
  if (d.roles.length === 0) issues.push("Chọn ít nhất một nhóm người nhận.");
  const scheme = ctx.actor.scope.scheme as Audience["scheme"];
  let rootCode: string | undefined;
  if (d.rootCode === null) {
    if (ctx.actor.kind === "officer" && ctx.actor.officer.role !== "admin") issues.push("Chỉ quản trị viên được tạo chiến dịch toàn quốc.");
    else if (!mayRunNational(ctx.actor)) issues.push(demoRefusal("chiến dịch toàn quốc"));
  } else {
    const [root] = await ctx.db
      .select()
      .from(units)
      .where(and(eq(units.scheme, scheme), eq(units.code, d.rootCode)));
    if (root && contains(ctx.actor.scope, root)) rootCode = root.code;
    else issues.push("Đơn vị nhận không thuộc phạm vi của anh/chị.");
  }
  if (issues.length) throw new AppError("invalid_input", issues[0]!, issues);

  const roles = CAMPAIGN_ROLES.filter((r) => d.roles.includes(r));
  const audience: Audience = { scheme, ...(rootCode !== undefined ? { rootCode } : {}), roles };
  return ctx.db.transaction(async (tx) => {
    // Two campaigns may share a name; their keys differ by a number.
    const base = campaignKeyOf(d.name);
    for (let n = 1; ; n++) {
      const key = n === 1 ? base : `${base}-${n}`;
      const [row] = await tx.insert(campaigns).values({ key, name: d.name, audience }).onConflictDoNothing().returning({ id: campaigns.id });
      if (!row) continue;
      await tx
        .insert(auditLog)
        .values({ actor: auditName(ctx.actor), action: "campaign.create", target: `campaign:${row.id}`, detail: { key, name: d.name, audience } });
      return { id: row.id, key, name: d.name };
    }
  });
}
