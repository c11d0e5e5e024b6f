import { z } from "zod";
import { auditLog } from "../db/schema/index.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { AppError } from "../domain/app-error.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { consolidate, toXlsx } from "./consolidation.js";
import { openedPeriods, reportRootInScope } from "./report-root.js";

export const ConsolidationInput = z.object({
  unitCode: z.string().max(40).optional(),
  periodKey: z.string().max(20).optional(),
  today: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

async function consolidated(ctx: ServiceContext, forms: FormRegistry, input: z.input<typeof ConsolidationInput>) {
  const parsed = ConsolidationInput.safeParse(input);
  if (!parsed.success) throw new AppError("not_found", "Không tìm thấy kỳ báo cáo.");
  const unit = await reportRootInScope(ctx, parsed.data.unitCode);
  const periods = await openedPeriods(ctx, parsed.data.today, parsed.data.periodKey);
  if (!periods) throw new AppError("not_found", "Chưa có kỳ báo cáo.");
  const result = await consolidate(ctx.db, periods.period, unit, forms.latest(periods.template.formId));
  return { unit, period: periods.period, result };
}

/** The figures of a unit in the actor's scope for a period, summed over its communes (the page "Số liệu tổng hợp"). */
export async function readConsolidation(ctx: ServiceContext, deps: { forms: FormRegistry }, input: z.input<typeof ConsolidationInput>) {
  return consolidated(ctx, deps.forms, input);
}

/**
 * The same figures as a spreadsheet to download. The file leaves the system, so it is in the
 * audit log ("export"), written in one transaction with the read of the figures it holds.
 */
export async function exportPeriod(ctx: ServiceContext, deps: { forms: FormRegistry }, input: z.input<typeof ConsolidationInput>) {
  return ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const { unit, period, result } = await consolidated(txCtx, deps.forms, input);
    const file = await toXlsx(result);
    await tx.insert(auditLog).values({ actor: auditName(ctx.actor), action: "export", target: `${period.key}:${unit.scheme}:${unit.code}` });
    return { file, fileName: `baocao-${period.key}-${unit.code}.xlsx` };
  });
}
