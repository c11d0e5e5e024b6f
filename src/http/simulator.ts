import { randomUUID } from "node:crypto";
import { and, asc, eq, gt } from "drizzle-orm";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { Db } from "../db/client.js";
import { channelLinks, officers, outbox, units } from "../db/schema/index.js";
import { linkChannel } from "../directory/officers.js";
import { findDemoOfficer, simulatorChatOf } from "../demo/demo-world.js";
import { DEMO_SCHEME } from "../directory/units.js";
import type { InboundHandler } from "../bot/inbound.js";
import type { ChannelSender } from "../delivery/outbox.js";
import type { OutboundMessage } from "../domain/messages.js";
import { simulatorPage } from "./simulator-page.js";

/** The simulator "sends" by leaving the message in the outbox, where the page reads it. */
export const simulatorSender: ChannelSender = {
  async send() {
    return {};
  },
};

const chatOf = simulatorChatOf;
/** Ids are int4: anything larger would be a database error, not an unknown officer. */
const MAX_ID = 2_147_483_647;

const sendSchema = z.object({
  officerId: z.number().int().positive().max(MAX_ID),
  text: z.string().max(10_000).optional(),
  choice: z.string().max(64).optional(),
  /** The page's own id for this message, so a double click or a retry is processed once. */
  clientId: z.string().min(8).max(64).optional(),
});

/**
 * The public chat simulator. Anyone may act as a demo officer here and read that officer's chat,
 * so it serves only the demo tree (src/directory/demo.ts): an officer who is not flagged demo, or
 * whose unit is not in the demo tree, does not exist for it. `enabled: false` (SIMULATOR=off)
 * leaves only the front page, which then sends visitors to sign in.
 */
export function mountSimulator(deps: { db: Db; inbound: InboundHandler; enabled?: boolean }) {
  const { db, inbound } = deps;
  return (app: OpenAPIHono) => {
    if (deps.enabled === false) {
      app.get("/", (c) => c.redirect("/login"));
      return;
    }
    app.get("/", (c) => c.redirect("/simulator"));
    app.get("/simulator", (c) => c.html(simulatorPage()));

    app.get("/simulator/api/officers", async (c) => {
      const rows = await db
        .select({ id: officers.id, name: officers.name, role: officers.role, unit: units.name, phone: officers.phone })
        .from(officers)
        .innerJoin(units, eq(units.id, officers.unitId))
        .where(and(eq(officers.demo, true), eq(officers.active, true), eq(units.scheme, DEMO_SCHEME)))
        .orderBy(asc(officers.id));
      // Demo numbers are shown as typed at /login ("0900000004"): the web sign-in link arrives in this chat.
      return c.json({ officers: rows.map((r) => ({ ...r, phone: r.phone.replace(/^84/, "0") })) });
    });

    app.post("/simulator/api/messages", async (c) => {
      const parsed = sendSchema.safeParse(await c.req.json());
      if (!parsed.success) return c.json({ error: "Tin nhắn không hợp lệ" }, 400);
      const { officerId, text, choice, clientId } = parsed.data;
      // Only demo officers of the demo tree: the simulator must never let anyone act as a real officer.
      const officer = await findDemoOfficer(db, officerId);
      if (!officer) return c.json({ error: "Không có cán bộ mẫu này" }, 404);
      const chatId = chatOf(officerId);
      const [linked] = await db
        .select({ id: channelLinks.id })
        .from(channelLinks)
        .where(and(eq(channelLinks.channel, "simulator"), eq(channelLinks.externalId, chatId), eq(channelLinks.officerId, officerId)));
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
      if (!Number.isInteger(officerId) || officerId <= 0 || officerId > MAX_ID || !Number.isInteger(after) || after < 0 || after > MAX_ID)
        return c.json({ error: "Tham số không hợp lệ" }, 400);
      // The chat of someone who is no longer a demo officer of the demo tree is nobody's to read.
      if (!(await findDemoOfficer(db, officerId))) return c.json({ error: "Không có cán bộ mẫu này" }, 404);
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
