import { eq } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { conversationSessions, units } from "../db/schema/index.js";
import { runStatement, type HeldWrite, type Statement } from "../db/statement.js";
import { findOfficerByPhone, linkChannel, pendingLinkReply, redeemInvite, type ActingOfficer } from "../directory/officers.js";
import { normalizePhone } from "../domain/phone.js";
import { cleanText, fold } from "../domain/text.js";
import type { ConversationService } from "../conversations/session-service.js";
import { MENU } from "../conversations/session-service.js";
import type { SessionState } from "../conversations/engine.js";
import type { InboundMessage, OutboundMessage } from "../domain/messages.js";
import type { Outbox, OutboxRow } from "../delivery/outbox.js";
import { acknowledge } from "../broadcasts/broadcasts.js";
import { INCIDENT_ACK_PREFIX, type IncidentService } from "../incidents/incident-service.js";
import type { Logger } from "../log.js";

/** "Last seen" is shown to supervisors in minutes; refreshing it on every message would cost a write each. */
const LAST_SEEN_RESOLUTION_S = 300;

const CLAIM_EVENT: Statement = {
  name: "inbound_claim_event",
  text: `with event as (
      insert into inbound_events (channel, dedupe_key) values ($1, $2) on conflict do nothing returning 1 as fresh
    ), seen as (
      update channel_links set last_seen_at = $4
      where channel = $1 and external_id = $3 and exists (select 1 from event)
        and (last_seen_at is null or last_seen_at < $4::timestamptz - make_interval(secs => $5))
      returning id
    )
    select event.fresh, o.id, o.name, o.phone, o.role, o.unit_id as "unitId", o.active, o.demo, o.created_at as "createdAt", o.updated_at as "updatedAt"
    from event
    left join channel_links l on l.channel = $1 and l.external_id = $3
    left join officers o on o.id = l.officer_id and o.active`,
};

export interface InboundDeps {
  db: Db;
  conversations: ConversationService;
  outbox: Outbox;
  clock: () => Date;
  logger: Logger;
  supportContact: string;
  incidents: IncidentService;
  onProcessed?: (channel: string, outcome: "processed" | "duplicate") => void;
  /**
   * Wait for the replies to be sent before returning (in-process tests read the fake Bot API right
   * after their request). Off in production: a webhook answers at commit, the replies follow.
   */
  awaitReplies?: boolean;
}

export interface InboundResult {
  duplicate: boolean;
  replies: number;
}

/**
 * The one path for every inbound message, whatever the platform: deduplicate, identify the
 * officer (or onboard them), apply the message, and record the replies — all in one
 * transaction. `handle` returns at commit, so every webhook answers then; the replies start on
 * their way at the same moment without being awaited (a burst would otherwise hold each answer
 * behind the platform's rate limit until the platform's own timeout). They are outbox rows
 * already: in order per chat, within the platform's limits, and sent after a crash.
 * An answer costs five round trips to the database (see README, Architecture); each is a
 * large part of what the message costs, so the common ones are merged into single statements.
 */
/** A reply to the sender, before it is an outbox row. */
type Reply = { officerId: number | null; message: OutboundMessage };

export function createInboundHandler(deps: InboundDeps) {
  const { db, conversations, outbox, clock, logger } = deps;

  async function handle(msg: InboundMessage): Promise<InboundResult> {
    const started = performance.now();
    const outcome = await db.transaction(async (tx) => {
      const sender = await claimEvent(tx, msg);
      if (!sender) return { duplicate: true as const, rows: [] as OutboxRow[], urgent: false };
      const { replies, held, urgent } = await respond(tx, msg, sender.officer);
      // Written as already claimed by this process: sent right after commit, no second transaction.
      // The answer's save (held) rides with this insert: one round trip fewer.
      const rows = await outbox.enqueueClaimed(
        tx,
        replies.map((r) => ({ officerId: r.officerId, channel: msg.channel, chatId: msg.chatId, payload: r.message })),
        held,
      );
      return { duplicate: false as const, rows, urgent };
    });
    deps.onProcessed?.(msg.channel, outcome.duplicate ? "duplicate" : "processed");
    // One line per update: ids and outcome only, never what was typed.
    logger.info(
      {
        channel: msg.channel,
        dedupeKey: msg.dedupeKey,
        outcome: outcome.duplicate ? "duplicate" : "processed",
        replies: outcome.rows.length,
        ms: Math.round(performance.now() - started),
      },
      "inbound update",
    );
    if (outcome.duplicate) return { duplicate: true, replies: 0 };
    // Neither rejects; the outbox tracks both, and its close() waits for what is on its way.
    const sending = [outbox.deliverClaimed(outcome.rows)];
    // An urgent report just filed must reach the supervisors now, not at the worker's next pass.
    if (outcome.urgent) sending.push(outbox.flushUrgent());
    if (deps.awaitReplies) await Promise.all(sending);
    return { duplicate: false, replies: outcome.rows.length };
  }

  /**
   * Records the event (undefined if it was seen before) and finds the linked, active officer who
   * sent it, refreshing "last seen" when it is a few minutes old — one round trip for all three.
   */
  async function claimEvent(tx: Tx, msg: InboundMessage): Promise<{ officer: ActingOfficer | null } | undefined> {
    const [row] = await runStatement<ActingOfficer & { fresh: number }>(tx, CLAIM_EVENT, [
      msg.channel,
      msg.dedupeKey,
      msg.externalUserId,
      clock().toISOString(),
      LAST_SEEN_RESOLUTION_S,
    ]);
    if (!row) return undefined;
    const { fresh: _fresh, ...officer } = row;
    return { officer: officer.id === null ? null : officer };
  }

  /** The replies; the answer's save still to run (see ConversationOutcome); whether urgent-case work ran. */
  async function respond(tx: Tx, msg: InboundMessage, linked: ActingOfficer | null): Promise<{ replies: Reply[]; held?: HeldWrite; urgent?: boolean }> {
    const conversation = await converse(tx, msg, linked);
    return Array.isArray(conversation) ? { replies: conversation } : conversation;
  }

  async function converse(
    tx: Tx,
    msg: InboundMessage,
    linked: ActingOfficer | null,
  ): Promise<Reply[] | { replies: Reply[]; held?: HeldWrite; urgent?: boolean }> {
    // An edit would silently rewrite an answer already checked and stored (or redeem a code):
    // nothing is applied, and the officer is told how to change an answer instead.
    if (msg.edited) return [{ officerId: linked?.id ?? null, message: await editedNotice(tx, linked) }];
    const inviteCode = extractInviteCode(msg);
    if (inviteCode) {
      const officer = await redeemInvite(tx, inviteCode, clock());
      if (officer) return welcome(tx, officer, msg);
      if (!linked) {
        return [
          { officerId: null, message: { text: "Mã mời không đúng, đã dùng hoặc đã hết hạn. Anh/chị vui lòng xin mã mới từ " + deps.supportContact + "." } },
        ];
      }
    }

    if (!linked) return onboard(tx, msg);

    const officer = linked;
    if (msg.contact) return [{ officerId: officer.id, message: { text: "Tài khoản này đã được liên kết. Cảm ơn anh/chị.", removeKeyboard: true } }];
    if (msg.startPayload !== undefined || fold(msg.text ?? "") === "/start") {
      return greet(tx, officer, "Chào mừng anh/chị quay lại!");
    }
    const text = msg.text === undefined ? undefined : cleanText(msg.text);
    if (msg.choice?.startsWith(INCIDENT_ACK_PREFIX)) {
      const reply = await deps.incidents.acknowledge(tx, officer, Number(msg.choice.slice(INCIDENT_ACK_PREFIX.length)));
      return { replies: (await conversations.aside(tx, officer, reply)).map((message) => ({ officerId: officer.id, message })), urgent: true };
    }
    const ack = await acknowledge(tx, officer.id, { text, choice: msg.choice }, clock());
    if (ack) return (await conversations.aside(tx, officer, ack)).map((message) => ({ officerId: officer.id, message }));
    const { messages, held, urgent } = await conversations.handle(tx, officer, { text, choice: msg.choice, attachment: msg.attachment });
    return { replies: messages.map((message) => ({ officerId: officer.id, message })), held, urgent };
  }

  async function editedNotice(tx: Tx, officer: ActingOfficer | null): Promise<OutboundMessage> {
    const [session] = officer
      ? await tx.select({ state: conversationSessions.state }).from(conversationSessions).where(eq(conversationSessions.officerId, officer.id))
      : [];
    const state = session?.state as SessionState | undefined;
    if (state?.report && state.mode !== "idle" && !state.incident) {
      return {
        text: `Tin nhắn đã sửa không được ghi nhận: baocao giữ nội dung anh/chị gửi lần đầu. Để sửa một câu trả lời, anh/chị gõ "sửa N" (N là số câu, ví dụ "sửa 3").`,
      };
    }
    return { text: "Tin nhắn đã sửa không được ghi nhận. Anh/chị vui lòng gửi lại thành một tin nhắn mới." };
  }

  async function onboard(tx: Tx, msg: InboundMessage): Promise<{ officerId: number | null; message: OutboundMessage }[]> {
    // A phone from a form the user fills in (Zalo OA) waits for a supervisor or an invite code.
    const pending = await pendingLinkReply(tx, msg, clock(), deps.supportContact);
    if (pending) return [{ officerId: null, message: pending }];
    if (msg.contact) {
      // Only the sender's own card proves the number: anyone can forward someone else's contact.
      if (msg.contact.userId !== msg.externalUserId) {
        return [
          { officerId: null, message: { text: "Anh/chị vui lòng chia sẻ số điện thoại của chính mình (nút «Chia sẻ số điện thoại»).", requestContact: true } },
        ];
      }
      const phone = normalizePhone(msg.contact.phone);
      const officer = phone ? await findOfficerByPhone(tx, phone) : undefined;
      if (officer) return welcome(tx, officer, msg);
      logger.info({ channel: msg.channel }, "contact shared by an unregistered user");
      return [{ officerId: null, message: { text: notRegistered(deps.supportContact), removeKeyboard: true } }];
    }
    const greeting = "Xin chào! Đây là baocao — hệ thống báo cáo công tác trẻ em.";
    // Telegram has a contact button and Zalo OA a request-info form; elsewhere only the invite code works.
    const canShareContact = msg.channel === "telegram" || msg.channel === "zalo_oa";
    return [
      {
        officerId: null,
        message: canShareContact
          ? {
              text: `${greeting}\nĐể bắt đầu, anh/chị vui lòng chia sẻ số điện thoại để xác nhận là cán bộ đã đăng ký, hoặc gửi mã mời anh/chị đã nhận.`,
              requestContact: true,
            }
          : { text: `${greeting}\nĐể bắt đầu, anh/chị vui lòng gửi mã mời (10 ký tự) anh/chị đã nhận. Chưa có mã? Anh/chị liên hệ ${deps.supportContact}.` },
      },
    ];
  }

  async function welcome(tx: Tx, officer: ActingOfficer, msg: InboundMessage) {
    await linkChannel(tx, officer.id, { channel: msg.channel, externalId: msg.externalUserId, chatId: msg.chatId });
    logger.info({ channel: msg.channel, officerId: officer.id }, "channel linked");
    return greet(tx, officer, "Tài khoản đã được liên kết với baocao.");
  }

  async function greet(tx: Tx, officer: ActingOfficer, lead: string) {
    const [unit] = await tx.select({ name: units.name }).from(units).where(eq(units.id, officer.unitId));
    return [
      { officerId: officer.id, message: { text: `Xin chào anh/chị ${officer.name} — ${unit?.name ?? ""}.\n${lead}`, removeKeyboard: true } },
      { officerId: officer.id, message: MENU },
    ];
  }

  return { handle };
}

function notRegistered(support: string): string {
  return `Số điện thoại này chưa được đăng ký trong baocao. Anh/chị vui lòng liên hệ ${support} để được thêm vào danh sách, rồi thử lại.`;
}

/** "/start CODE" deep links, or a code typed alone ("ma ABCD…" also works on Zalo). */
function extractInviteCode(msg: InboundMessage): string | undefined {
  if (msg.startPayload && /^[A-Za-z0-9]{6,32}$/.test(msg.startPayload)) return msg.startPayload;
  const t = cleanText(msg.text ?? "")
    .toUpperCase()
    .replace(/^(MÃ|MA|CODE)\s*:?\s*/u, "");
  if (/^[A-HJ-NP-Z2-9]{10}$/.test(t)) return t;
  return undefined;
}

export type InboundHandler = ReturnType<typeof createInboundHandler>;

/** What a channel needs of the inbound handler: somewhere to hand each received message. */
export type InboundPort = Pick<InboundHandler, "handle">;
