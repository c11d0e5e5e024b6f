import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { answers, channelLinks, conversationSessions, inboundEvents, outbox } from "../../src/db/schema/index.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { editedTextUpdate, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

const MAI = 8801;
const STRANGER = 8802;
// 7 November 2026, 10:00 in Hà Nội: the yearly report is open, and no quiet hours.
const clock = () => new Date("2026-11-07T03:00:00Z");
const MID_REPORT_NOTICE = `Tin nhắn đã sửa không được ghi nhận: baocao giữ nội dung anh/chị gửi lần đầu. Để sửa một câu trả lời, anh/chị gõ "sửa N" (N là số câu, ví dụ "sửa 3").`;
const SHORT_NOTICE = "Tin nhắn đã sửa không được ghi nhận. Anh/chị vui lòng gửi lại thành một tin nhắn mới.";
const POLL = { timeout: 20_000 };

// These tests run the service as in production: the webhook answers at commit and the replies
// follow (there is no delivery worker here, so a reply that arrives was sent right after commit).
describe.each(dbKinds)("an officer who edits a Telegram message (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(async () => {
    tg.reset();
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    s = await startTestService(t, { telegram: tg, clock, awaitReplies: false });
  });
  afterEach(() => s.service.stop());

  const post = async (update: unknown) => expect((await s.postUpdate(update)).status).toBe(200);
  /** Sends a text and waits until the replies so far match `replies`; returns the update (its message_id can be edited later). */
  const say = async (chat: number, text: string, replies: RegExp) => {
    const update = textUpdate(chat, text);
    await post(update);
    await expect.poll(() => tg.texts(chat).join("\n"), POLL).toMatch(replies);
    return update;
  };
  const notices = (chat: number) => tg.texts(chat).filter((x) => x.startsWith("Tin nhắn đã sửa"));

  it("mid-report, an edited answer is not applied: she is told to type «sửa N», once however often the edit is delivered", async () => {
    await linkOfficer(t.database, "84912345678", "telegram", String(MAI));
    await say(MAI, "báo cáo", /Câu 1\/\d+\. Số buổi truyền thông/);
    const first = await say(MAI, "3", /Câu 2\//);
    expect(tg.texts(MAI).at(-1)).toMatch(/^Câu 2\//);
    const [before] = await t.database.db.select().from(conversationSessions);

    // She changes "3" into "5" in Telegram; Telegram delivers the edit twice.
    const edit = editedTextUpdate(MAI, first.message.message_id, "5");
    await post(edit);
    await post(edit);
    await expect.poll(() => notices(MAI), POLL).toEqual([MID_REPORT_NOTICE]);
    // Her next answer is answered after the edit's notice (replies keep their order): had the
    // second copy been answered, its notice would be there by now.
    await say(MAI, "1.234", /Câu 3\//);
    expect(notices(MAI)).toEqual([MID_REPORT_NOTICE]);
    expect(tg.texts(MAI).at(-1)).toMatch(/^Câu 3\//);

    const stored = await t.database.db.select().from(answers);
    expect(stored.map((a) => [a.key, a.valueNum]).sort()).toEqual([
      ["comm_people", 1234],
      ["comm_sessions", 3],
    ]);
    const [after] = await t.database.db.select().from(conversationSessions);
    expect((before!.state as SessionState).report!.cursor).toBe("comm_people");
    expect((after!.state as SessionState).report!.cursor).not.toBe("comm_people");
    // Two copies of the edit, one event: deduplicated like any update.
    expect((await t.database.db.select().from(inboundEvents)).length).toBe(4);
  });

  it("outside a report she gets the short notice; a stranger's edited invite link links nobody and leaves the code usable", async () => {
    await linkOfficer(t.database, "84912345678", "telegram", String(MAI));
    const hello = await say(MAI, "xin chào", /Gõ "báo cáo"/);
    await post(editedTextUpdate(MAI, hello.message.message_id, "báo cáo"));
    await expect.poll(() => notices(MAI), POLL).toEqual([SHORT_NOTICE]);
    expect(await t.database.db.select().from(answers)).toEqual([]);

    // Someone edits an old message into "/start <code>": the code is not redeemed by an edit.
    await t.database.db.delete(channelLinks);
    const { code } = await createOfficerDirectory({ db: t.database.db, clock, inviteTtlHours: 72 }).createInvite("0912345678", "telegram");
    await post(editedTextUpdate(STRANGER, 1, `/start ${code}`));
    await expect.poll(() => tg.texts(STRANGER), POLL).toEqual([SHORT_NOTICE]);
    expect(await t.database.db.select().from(channelLinks)).toEqual([]);
    await say(STRANGER, `/start ${code}`, /Xin chào anh\/chị Nguyễn Thị Mai/);
    expect(await t.database.db.select().from(channelLinks)).toMatchObject([{ channel: "telegram", externalId: String(STRANGER) }]);
  });
});

describe.each(dbKinds)("the Telegram webhook answers at commit; the replies follow (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService | undefined;
  beforeEach(async () => {
    tg = await startFakeTelegram();
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    await linkOfficer(t.database, "84912345678", "telegram", String(MAI));
    s = await startTestService(t, { telegram: tg, clock, awaitReplies: false });
  });
  afterEach(async () => {
    // Closing the fake first ends any send it left hanging, so the service stops at once.
    await tg.close();
    await s?.service.stop();
  });

  it("a Bot API that does not answer does not hold the webhook: 200 at once, the reply is on its way", async () => {
    tg.setFault(({ method }) => (method === "sendMessage" ? "hang" : undefined));
    const started = Date.now();
    // grammY's own timeout (9 s) would answer 500 if the webhook waited for the send.
    const res = await fetch(`${s!.url}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "test-webhook-secret" },
      body: JSON.stringify(textUpdate(MAI, "báo cáo")),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Committed, and the first reply went out without any delivery worker: it hangs at Telegram.
    await expect.poll(() => tg.calls.filter((c) => c.method === "sendMessage" && String(c.payload.chat_id) === String(MAI)).length, POLL).toBe(1);
    const written = await t.database.db.select({ status: outbox.status }).from(outbox);
    expect(written.length).toBeGreaterThan(0);
    expect(written.every((r) => r.status === "sending")).toBe(true);
  });

  it("a message that asks for no link preview (a sign-in link) reaches sendMessage with previews off; others keep Telegram's default", async () => {
    const { outbox: box } = s!.service;
    const link = "Đường dẫn đăng nhập baocao (dùng một lần): http://localhost:3000/login/abc";
    await box.deliverNow(
      await box.enqueue(t.database.db, [
        { officerId: null, channel: "telegram", chatId: String(MAI), kind: "reply", payload: { text: link, disablePreview: true } },
      ]),
    );
    await box.deliverNow(
      await box.enqueue(t.database.db, [
        { officerId: null, channel: "telegram", chatId: String(MAI), kind: "reply", payload: { text: "Xem hướng dẫn tại https://example.org" } },
      ]),
    );
    const [signIn, other] = tg.sent(MAI);
    expect(signIn!.payload).toMatchObject({ text: link, link_preview_options: { is_disabled: true } });
    expect(other!.payload.text).toBe("Xem hướng dẫn tại https://example.org");
    expect(other!.payload).not.toHaveProperty("link_preview_options");
  });
});
