import { z } from "zod";
import { auditLog } from "../db/schema/index.js";
import { AppError } from "../domain/app-error.js";
import { auditName, type ServiceContext } from "./actor.js";
import type { ImportReport } from "./import-report.js";
import { createUnitDirectory, DEMO_SCHEME, ImportFileError, type UnitFileKind } from "./units.js";

export const MAX_UNIT_FILE_BYTES = 20 * 1024 * 1024;

export const ImportUnitsInput = z.object({
  content: z.instanceof(Buffer).refine((b) => b.length > 0, "Chưa chọn tệp."),
  fileName: z.string().trim().min(1).max(300),
  // Anything else asked for is the new tree, as the form always did.
  scheme: z.unknown().transform((v) => (v === "pre2025" ? ("pre2025" as const) : ("post2025" as const))),
});

/**
 * Imports one of the national unit files (GSO lists, the reform's mapping, renames): admins only
 * — to anyone else the action does not exist (not_found) — and never from the demo world. The
 * rows and "units.import" are written in one transaction.
 */
export async function importUnitFile(
  ctx: ServiceContext,
  input: z.input<typeof ImportUnitsInput>,
): Promise<ImportReport & { kind: UnitFileKind; scheme: "pre2025" | "post2025" }> {
  const parsed = ImportUnitsInput.safeParse(input);
  if (!parsed.success) throw new AppError("invalid_input", parsed.error.issues[0]?.message ?? "Tệp không hợp lệ.");
  const { content, fileName, scheme } = parsed.data;
  const actor = ctx.actor;
  if (actor.kind === "officer" && actor.officer.role !== "admin") throw new AppError("not_found", "Không tìm thấy trang.");
  if (actor.scope.scheme === DEMO_SCHEME || (actor.kind === "officer" && actor.officer.demo))
    throw new AppError("forbidden", "Tài khoản thử không thay đổi được danh mục đơn vị hành chính.");
  return ctx.db.transaction(async (tx) => {
    let report;
    try {
      report = await createUnitDirectory({ db: tx }).importFile(content, fileName, scheme);
    } catch (err) {
      if (err instanceof ImportFileError) throw new AppError("invalid_input", err.message);
      throw err;
    }
    await tx.insert(auditLog).values({
      actor: auditName(actor),
      action: "units.import",
      target: `units:${report.kind}`,
      detail: { scheme, imported: report.imported, rejected: report.rejected.length },
    });
    return { ...report, scheme };
  });
}
