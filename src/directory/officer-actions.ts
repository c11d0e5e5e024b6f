import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { auditLog, inviteCodes, officers, unitMappings, units, webSessions, type Channel } from "../db/schema/index.js";
import { AppError } from "../domain/app-error.js";
import type { OutboundMessage } from "../domain/messages.js";
import { contains, withinOrNotFound } from "../domain/scope.js";
import { auditName, type Actor, type ServiceContext } from "./actor.js";
import { createOfficerDirectory, decidePendingLink, hashInviteCode, lockOpenPendingLink, newInviteCode, type Officer } from "./officers.js";
import { ImportFileError, type Unit } from "./units.js";

/**
 * The officers' use cases of the admin web (and any other surface): import a list, hand out an
 * invite, deactivate or reactivate, decide a pending Zalo link, move officers after the reform.
 * Each checks its input, keeps to the actor's scope (outside it: not_found), writes its audit row
 * in the transaction of the change, and returns what happened.
 */

const isAdmin = (actor: Actor) => actor.kind === "system" || actor.officer.role === "admin";
const actorOfficerId = (actor: Actor) => (actor.kind === "officer" ? actor.officer.id : null);
const audit = (tx: DbOrTx, ctx: ServiceContext, action: string, target: string, detail: Record<string, unknown> = {}) =>
  tx.insert(auditLog).values({ actor: auditName(ctx.actor), action, target, detail });
/** Where an officer acts from, as the audit log names it ("unit:pre2025:106"); the country for a system actor. */
const actorTarget = (actor: Actor) => (actor.kind === "officer" ? `unit:${actor.unit.scheme}:${actor.unit.code}` : `unit:${actor.scope.scheme}:`);

export const MAX_OFFICER_FILE_BYTES = 5 * 1024 * 1024;

export const ImportOfficersInput = z.object({
  content: z.instanceof(Buffer).refine((b) => b.length > 0 && b.length <= MAX_OFFICER_FILE_BYTES, "Không đọc được tệp, vui lòng chọn lại."),
  fileName: z.string().trim().min(1).max(300),
  dryRun: z.boolean().default(false),
});

export type OfficerImportResult = Awaited<ReturnType<ReturnType<typeof createOfficerDirectory>["importFile"]>>;

const parse = <S extends z.ZodType>(schema: S, input: unknown): z.infer<S> => {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new AppError(
      "invalid_input",
      r.error.issues[0]?.message ?? "Dữ liệu không hợp lệ.",
      r.error.issues.map((i) => i.message),
    );
  return r.data;
};

/**
 * Reads an officer list into the actor's scope: every row's unit, and whoever already holds a
 * row's phone, must be inside it; only admins add or touch admins. A dry run writes nothing (the
 * page shows the bad rows first); a real one writes the good rows and "officers.import" together.
 */
export async function importOfficers(
  ctx: ServiceContext,
  input: z.input<typeof ImportOfficersInput>,
  opts: { inviteTtlHours: number },
): Promise<OfficerImportResult> {
  const { content, fileName, dryRun } = parse(ImportOfficersInput, input);
  const run = async (db: DbOrTx) => {
    const directory = createOfficerDirectory({ db, clock: ctx.clock, inviteTtlHours: opts.inviteTtlHours });
    try {
      return await directory.importFile(content, fileName, { dryRun, within: ctx.actor.scope, allowAdminRole: isAdmin(ctx.actor) });
    } catch (err) {
      if (err instanceof ImportFileError) throw new AppError("invalid_input", err.message);
      throw err;
    }
  };
  if (dryRun) return run(ctx.db);
  return ctx.db.transaction(async (tx) => {
    const report = await run(tx);
    await audit(tx, ctx, "officers.import", actorTarget(ctx.actor), { imported: report.imported, rejected: report.rejected.length });
    return report;
  });
}

/** The officer with this id when they are in the actor's scope; not_found otherwise. */
async function officerInScope(ctx: ServiceContext, db: DbOrTx, officerId: number, lock = false): Promise<{ officer: Officer; unit: Unit }> {
  const query = db.select({ officer: officers, unit: units }).from(officers).innerJoin(units, eq(units.id, officers.unitId)).where(eq(officers.id, officerId));
  const [row] = await (lock ? query.for("update", { of: officers }) : query);
  withinOrNotFound(ctx.actor.scope, row?.unit, "cán bộ");
  return row!;
}

export const InviteOfficerInput = z.object({
  officerId: z.number().int().positive(),
  // Anything else asked for is Telegram, as the form always did.
  channel: z.unknown().transform((v): Exclude<Channel, "simulator"> => (v === "zalo_bot" || v === "zalo_oa" ? v : "telegram")),
});

export interface InviteResult {
  officer: Officer;
  unit: Unit;
  channel: Exclude<Channel, "simulator">;
  code: string;
  expiresAt: Date;
}

/**
 * A one-time invite code for an active officer of the scope (only its hash is stored). Whoever
 * types the code is linked to the account, and a chat link signs in to the web: an invite for an
 * admin is an admin's session, so only admins make one.
 */
export async function inviteOfficer(ctx: ServiceContext, input: z.input<typeof InviteOfficerInput>, opts: { inviteTtlHours: number }): Promise<InviteResult> {
  const { officerId, channel } = parse(InviteOfficerInput, input);
  return ctx.db.transaction(async (tx) => {
    const { officer, unit } = await officerInScope(ctx, tx, officerId);
    if (!officer.active) throw new AppError("not_found", "Không tìm thấy cán bộ.");
    if (officer.role === "admin" && !isAdmin(ctx.actor)) throw new AppError("forbidden", "Chỉ quản trị viên mới tạo được lời mời cho tài khoản quản trị.");
    const code = newInviteCode();
    const expiresAt = new Date(ctx.clock().getTime() + opts.inviteTtlHours * 3_600_000);
    await tx.insert(inviteCodes).values({ codeHash: hashInviteCode(code), officerId: officer.id, channel, expiresAt });
    await audit(tx, ctx, "officer.invite", `officer:${officer.id}`, { channel });
    return { officer, unit, channel, code, expiresAt };
  });
}

export const SetOfficerActiveInput = z.object({ officerId: z.number().int().positive(), active: z.boolean() });

/**
 * Deactivates someone who left (web access ends at once; their reports and history stay) or
 * brings them back: "officer.deactivate" / "officer.reactivate".
 */
export async function setOfficerActive(ctx: ServiceContext, input: z.input<typeof SetOfficerActiveInput>): Promise<{ officer: Officer; unit: Unit }> {
  const { officerId, active } = parse(SetOfficerActiveInput, input);
  return ctx.db.transaction(async (tx) => {
    const { officer, unit } = await officerInScope(ctx, tx, officerId, true);
    if (officer.id === actorOfficerId(ctx.actor)) throw new AppError("forbidden", "Anh/chị không thể tự ngừng hoạt động tài khoản của mình.");
    if (officer.role === "admin" && !isAdmin(ctx.actor)) throw new AppError("forbidden", "Chỉ quản trị viên mới thay đổi được tài khoản quản trị.");
    const [updated] = await tx.update(officers).set({ active, updatedAt: ctx.clock() }).where(eq(officers.id, officer.id)).returning();
    if (!active) await tx.delete(webSessions).where(eq(webSessions.officerId, officer.id));
    await audit(tx, ctx, active ? "officer.reactivate" : "officer.deactivate", `officer:${officer.id}`);
    return { officer: updated!, unit };
  });
}

export const DecidePendingLinkInput = z.object({ pendingLinkId: z.number().int().positive(), decision: z.enum(["approve", "reject"]) });

/** What the outbox takes (src/delivery/outbox.ts), named here so that this folder needs nothing of delivery's. */
export interface ToldOfficer {
  officerId: number | null;
  channel: string;
  chatId: string;
  kind: string;
  payload: OutboundMessage;
}

export interface LinkDecisionDeps {
  /** Queues the messages in the caller's transaction; the ids to deliver once it commits. */
  enqueue: (tx: DbOrTx, rows: ToldOfficer[]) => Promise<number[]>;
  /** The menu the officer sees once linked. */
  menu: OutboundMessage;
}

/**
 * A supervisor decides a Zalo account's request to be linked to one of their officers. Approval
 * links it and greets the officer there; rejection tells the account why. "officer.link_approve"
 * or "officer.link_reject"; the outbox ids to deliver after the commit.
 */
export async function decideLinkRequest(
  ctx: ServiceContext,
  input: z.input<typeof DecidePendingLinkInput>,
  deps: LinkDecisionDeps,
): Promise<{ officer: Officer; unit: Unit; decision: "approve" | "reject"; outboxIds: number[] }> {
  const { pendingLinkId, decision } = parse(DecidePendingLinkInput, input);
  if (ctx.actor.kind !== "officer") throw new AppError("forbidden", "Chỉ cán bộ đăng nhập mới xác nhận được liên kết.");
  const decider = ctx.actor.officer;
  return ctx.db.transaction(async (tx) => {
    const row = await lockOpenPendingLink(tx, pendingLinkId);
    withinOrNotFound(ctx.actor.scope, row?.unit, "yêu cầu liên kết");
    const { link, officer, unit } = row!;
    if (officer.role === "admin" && !isAdmin(ctx.actor))
      throw new AppError("forbidden", "Chỉ quản trị viên mới xác nhận được liên kết cho tài khoản quản trị.");
    if (decision === "approve" && !officer.active) throw new AppError("conflict", "Cán bộ này đã ngừng hoạt động: không liên kết được.");
    await decidePendingLink(tx, link, decision === "approve" ? "approved" : "rejected", decider.id, ctx.clock());
    await audit(tx, ctx, `officer.link_${decision}`, `officer:${officer.id}`, { pendingLink: link.id, channel: link.channel, externalId: link.externalId });
    const to = { channel: link.channel, chatId: link.chatId, kind: "reply" };
    const told: ToldOfficer[] =
      decision === "approve"
        ? [
            {
              ...to,
              officerId: officer.id,
              payload: {
                text: `Xin chào anh/chị ${officer.name} — ${unit.name}.\n${decider.name} đã xác nhận: tài khoản Zalo này đã được liên kết với baocao.`,
                removeKeyboard: true,
              },
            },
            { ...to, officerId: officer.id, payload: deps.menu },
          ]
        : [
            {
              ...to,
              officerId: null,
              payload: {
                text: "Yêu cầu liên kết tài khoản Zalo này với baocao không được xác nhận. Nếu anh/chị là cán bộ đã đăng ký, vui lòng xin mã mời từ cán bộ cấp trên rồi gửi mã đó tại đây.",
              },
            },
          ];
    return { officer, unit, decision, outboxIds: await deps.enqueue(tx, told) };
  });
}

export const MoveOfficersInput = z.object({
  moves: z.array(z.object({ officerId: z.number().int().positive(), toCode: z.string().trim().max(20).optional() })).max(5000),
});

/** An officer on a pre-2025 commune and where the reform sends them. */
export interface ReformMove {
  officerId: number;
  officer: string;
  oldUnit: string;
  oldCode: string;
  /** New communes the old one went into (several when it was split). */
  targets: { code: string; name: string; coverage: string }[];
}

/**
 * Officers still on pre-2025 communes that the actor looks after: below them in the old tree, or
 * moving into their subtree of the new one.
 */
export async function pendingReformMoves(ctx: Pick<ServiceContext, "actor" | "db">): Promise<ReformMove[]> {
  const scope = ctx.actor.scope;
  const rows = await ctx.db
    .select({
      officerId: officers.id,
      officer: officers.name,
      oldUnit: units.name,
      oldCode: units.code,
      oldPath: units.path,
      newCode: unitMappings.newCode,
      newName: unitMappings.newName,
      coverage: unitMappings.coverage,
    })
    .from(officers)
    .innerJoin(units, eq(units.id, officers.unitId))
    .innerJoin(unitMappings, eq(unitMappings.oldCode, units.code))
    .where(and(eq(units.scheme, "pre2025"), eq(units.level, "commune"), eq(officers.active, true)))
    .orderBy(units.path, officers.name);
  const newUnits = await ctx.db
    .select()
    .from(units)
    .where(and(eq(units.scheme, "post2025"), inArray(units.code, [...new Set(rows.map((r) => r.newCode))].concat("-"))));
  const moves = new Map<number, ReformMove>();
  for (const r of rows) {
    const target = newUnits.find((u) => u.code === r.newCode);
    if (!target) continue;
    const mine = scope.scheme === "pre2025" ? contains(scope, { scheme: "pre2025", path: r.oldPath }) : contains(scope, target);
    if (!mine) continue;
    const m = moves.get(r.officerId) ?? { officerId: r.officerId, officer: r.officer, oldUnit: r.oldUnit, oldCode: r.oldCode, targets: [] };
    m.targets.push({ code: r.newCode, name: r.newName, coverage: r.coverage });
    moves.set(r.officerId, m);
  }
  return [...moves.values()];
}

/**
 * Applies the 1/7/2025 reform to the chosen officers: each moves to the new commune its old one
 * went into (the actor's choice where it was split). Only moves the mapping allows, for officers
 * the actor looks after: re-derived, never trusted from the form. One "officer.move" per officer.
 */
export async function moveOfficersToNewUnits(ctx: ServiceContext, input: z.input<typeof MoveOfficersInput>): Promise<{ moved: number }> {
  const { moves: asked } = parse(MoveOfficersInput, input);
  const chosen = new Map(asked.map((m) => [m.officerId, m.toCode]));
  return ctx.db.transaction(async (tx) => {
    const moves = (await pendingReformMoves({ actor: ctx.actor, db: tx })).filter((m) => chosen.has(m.officerId));
    const targets = await tx
      .select()
      .from(units)
      .where(and(eq(units.scheme, "post2025"), inArray(units.code, moves.flatMap((m) => m.targets.map((t) => t.code)).concat("-"))));
    let moved = 0;
    for (const m of moves) {
      const code = chosen.get(m.officerId) || m.targets[0]!.code;
      const target = m.targets.some((t) => t.code === code) ? targets.find((u) => u.code === code) : undefined;
      if (!target) continue;
      await tx.update(officers).set({ unitId: target.id, updatedAt: ctx.clock() }).where(eq(officers.id, m.officerId));
      await audit(tx, ctx, "officer.move", `officer:${m.officerId}`, { from: `pre2025:${m.oldCode}`, to: `post2025:${target.code}` });
      moved++;
    }
    return { moved };
  });
}
