import { randomUUID } from "node:crypto";
import { and, asc, eq, gt } from "drizzle-orm";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { Db } from "../db/client.js";
import { channelLinks, officers, outbox, units } from "../db/schema/index.js";
import { linkChannel } from "../directory/officers.js";
import type { InboundHandler } from "../bot/inbound.js";
import type { ChannelSender } from "../scheduler/outbox.js";
import type { OutboundMessage } from "../conversations/messages.js";
import { simulatorPage } from "./simulator-page.js";

/** The simulator "sends" by leaving the message in the outbox, where the page reads it. */
export const simulatorSender: ChannelSender = {
  async send() {
    return {};
  },
};

const chatOf = (officerId: number) => `sim-${officerId}`;

const sendSchema = z.object({
  officerId: z.number().int().positive(),
  text: z.string().max(10_000).optional(),
  choice: z.string().max(64).optional(),
  /** The page's own id for this message, so a double click or a retry is processed once. */
  clientId: z.string().min(8).max(64).optional(),
});

export function mountSimulator(deps: { db: Db; inbound: InboundHandler }) {
  const { db, inbound } = deps;
  return (app: OpenAPIHono) => {
    app.get("/", (c) => c.redirect("/simulator"));
    app.get("/simulator", (c) => c.html(simulatorPage()));

    app.get("/simulator/api/officers", async (c) => {
      const rows = await db
        .select({ id: officers.id, name: officers.name, role: officers.role, unit: units.name })
        .from(officers)
        .innerJoin(units, eq(units.id, officers.unitId))
        .where(and(eq(officers.demo, true), eq(officers.active, true)))
        .orderBy(asc(officers.id));
      return c.json({ officers: rows });
    });

    app.post("/simulator/api/messages", async (c) => {
      const parsed = sendSchema.safeParse(await c.req.json());
      if (!parsed.success) return c.json({ error: "Tin nhắn không hợp lệ" }, 400);
      const { officerId, text, choice, clientId } = parsed.data;
      const [officer] = await db.select().from(officers).where(and(eq(officers.id, officerId), eq(officers.demo, true), eq(officers.active, true)));
      // Only demo officers: the simulator must never let anyone act as a real officer.
      if (!officer) return c.json({ error: "Không có cán bộ mẫu này" }, 404);
      const chatId = chatOf(officerId);
      const [linked] = await db.select({ id: channelLinks.id }).from(channelLinks).where(and(eq(channelLinks.channel, "simulator"), eq(channelLinks.externalId, chatId)));
      if (!linked) await db.transaction((tx) => linkChannel(tx, officerId, { channel: "simulator", externalId: chatId, chatId }));
      const result = await inbound.handle({
        channel: "simulator",
        externalUserId: chatId,
        chatId,
        dedupeKey: clientId ?? randomUUID(),
        ...(text !== undefined ? { text } : {}),
        ...(choice !== undefined ? { choice } : {}),
      });
      return c.json({ ok: true, duplicate: result.duplicate });
    });

    app.get("/simulator/api/messages", async (c) => {
      const officerId = Number(c.req.query("officerId"));
      const after = Number(c.req.query("after") ?? 0);
      if (!Number.isInteger(officerId) || !Number.isInteger(after)) return c.json({ error: "Tham số không hợp lệ" }, 400);
      const rows = await db
        .select({ id: outbox.id, payload: outbox.payload, createdAt: outbox.createdAt })
        .from(outbox)
        .where(and(eq(outbox.channel, "simulator"), eq(outbox.chatId, chatOf(officerId)), gt(outbox.id, after)))
        .orderBy(asc(outbox.id))
        .limit(200);
      return c.json({ messages: rows.map((r) => ({ id: r.id, ...(r.payload as OutboundMessage) })) });
    });
  };
}
