import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { parseInput } from "./parse-input.js";
import { auditLog, broadcasts, officerRoles, units } from "../db/schema/index.js";
import { wholeCountry, withinOrNotFound } from "../domain/scope.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import type { Unit } from "../directory/units.js";
import { resolveRecipients, type Audience, type Recipient } from "../delivery/audience.js";
import { broadcastMessage, createBroadcast, type Broadcast } from "./broadcasts.js";
import { ownDocument, type UploadedDocument } from "./documents.js";
import type { OutboundMessage } from "../domain/messages.js";

export const MAX_BROADCAST_TEXT = 4000;

export const BroadcastInput = z.object({
  text: z.string().trim().min(1, "Chưa có nội dung văn bản.").max(MAX_BROADCAST_TEXT, `Nội dung dài quá ${MAX_BROADCAST_TEXT} ký tự.`),
  audience: z.object({
    scheme: z.enum(["pre2025", "post2025", "demo"]),
    /** Omitted: the whole country of the tree (the actor's scope must be it). */
    rootCode: z.string().min(1).optional(),
    roles: z.array(z.enum(officerRoles)).optional(),
  }),
  /** When to send; default now (quiet hours still apply). */
  sendAt: z.date().optional(),
  requireAck: z.boolean(),
  /** A link given by the JSON API. */
  documentUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** One of the actor's own uploads (the composer), and the link it is served at. */
  document: z.object({ key: z.string().min(1), url: z.string().min(1) }).optional(),
});
export type BroadcastInput = z.infer<typeof BroadcastInput>;

/** The audience's root inside the actor's scope (not_found otherwise, as for a unit that does not exist); undefined = whole country. */
async function audienceRoot(ctx: ServiceContext, audience: BroadcastInput["audience"]): Promise<Unit | undefined> {
  if (audience.rootCode === undefined) {
    // A national directive is for whoever holds the whole country of that tree.
    withinOrNotFound(ctx.actor.scope, wholeCountry(audience.scheme), "đơn vị nhận");
    return undefined;
  }
  const [u] = await ctx.db
    .select()
    .from(units)
    .where(and(eq(units.scheme, audience.scheme), eq(units.code, audience.rootCode)));
  return withinOrNotFound(ctx.actor.scope, u, "đơn vị nhận");
}

const audienceOf = (input: BroadcastInput["audience"]): Audience => ({
  scheme: input.scheme,
  ...(input.rootCode !== undefined ? { rootCode: input.rootCode } : {}),
  ...(input.roles?.length ? { roles: input.roles } : {}),
});

export interface BroadcastPreview {
  root: Unit | undefined;
  message: OutboundMessage;
  reachable: Recipient[];
  unlinked: { officerId: number; name: string }[];
  document: UploadedDocument | undefined;
}

/** What sending would do: the message as it will read, who gets it, who cannot be reached yet. Writes nothing. */
export async function previewBroadcast(ctx: ServiceContext, input: BroadcastInput): Promise<BroadcastPreview> {
  const d = parseInput(BroadcastInput, input);
  const root = await audienceRoot(ctx, d.audience);
  const document = await ownDocument(ctx, d.document?.key);
  const message = broadcastMessage({ id: 0, text: d.text, documentUrl: document ? d.document!.url : (d.documentUrl ?? null), requireAck: d.requireAck });
  const { reachable, unlinked } = await resolveRecipients(ctx.db, audienceOf(d.audience));
  return { root, message, reachable, unlinked, document };
}

export interface SentBroadcast {
  broadcast: Broadcast;
  /** Due now (the caller plans and starts sending at once) or later (the planner will). */
  dueNow: boolean;
  /** Officers of the audience with a linked chat, and those without one, at the time of sending. */
  reachable: number;
  unlinked: number;
}

/**
 * A directive to part of the tree, now or at a time: the audience must lie in the actor's scope;
 * an attached upload must be the actor's own. Audited ("broadcast.create") in the same transaction.
 */
export async function sendBroadcast(ctx: ServiceContext, input: BroadcastInput): Promise<SentBroadcast> {
  const d = parseInput(BroadcastInput, input);
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const c: ServiceContext = { ...ctx, db: tx };
    const root = await audienceRoot(c, d.audience);
    const document = await ownDocument(c, d.document?.key);
    const audience = audienceOf(d.audience);
    const b = await createBroadcast(
      tx,
      { text: d.text, documentUrl: document ? d.document!.url : d.documentUrl, audience, sendAt: d.sendAt, requireAck: d.requireAck },
      now,
    );
    const createdBy = ctx.actor.kind === "officer" ? ctx.actor.officer.id : null;
    const [saved] = await tx
      .update(broadcasts)
      .set({ createdBy, documentId: document?.id ?? null })
      .where(eq(broadcasts.id, b.id))
      .returning();
    await tx.insert(auditLog).values({
      actor: auditName(ctx.actor),
      action: "broadcast.create",
      target: `broadcast:${b.id}`,
      detail: { root: root?.code ?? null, roles: d.audience.roles ?? [], requireAck: d.requireAck },
    });
    const { reachable, unlinked } = await resolveRecipients(tx, audience);
    return { broadcast: saved!, dueNow: saved!.sendAt.getTime() <= now.getTime(), reachable: reachable.length, unlinked: unlinked.length };
  });
}
