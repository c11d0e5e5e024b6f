import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { answers, incidentEvents, incidents } from "../../src/db/schema/index.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, withoutWebLink, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

const COMMUNE = 9301; // Xã Thèn Sin, Huyện Tam Đường (pre-2025 tree)
const DISTRICT = 9302;
// Sunday 14/06/2026, 16:00 in Hà Nội: the six-monthly report is open.
const clock = () => new Date("2026-06-14T09:00:00Z");

describe.each(dbKinds)("what an officer says beside the report (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(async () => {
    await s?.service.stop();
    await tg.close();
  });
  const say = async (chat: number, text: string) => {
    const before = tg.texts(chat).length;
    expect((await s.postUpdate(textUpdate(chat, text))).status).toBe(200);
    return tg.texts(chat).slice(before).map(withoutWebLink);
  };

  it("«đã nhận» with nothing to acknowledge is not an answer, and the question is asked again; «?» lists each role's commands; «tối qua 20h» dates an urgent case; «xong» ends its details at any question", async () => {
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(
      t.database,
      ["name,phone,role,unit_code,scheme", "Cán bộ Thèn Sin,0912000301,commune,03394,pre2025", "Phòng LĐTBXH Tam Đường,0912000302,district,106,pre2025"].join(
        "\n",
      ),
    );
    await linkOfficer(t.database, "84912000301", "telegram", String(COMMUNE));
    await linkOfficer(t.database, "84912000302", "telegram", String(DISTRICT));
    s = await startTestService(t, { telegram: tg, clock });

    await say(COMMUNE, "báo cáo");
    await say(COMMUNE, "3");
    const asked = tg.texts(COMMUNE).at(-1)!;
    expect(asked).toMatch(/^Câu 2\/\d+\. /);
    // Nothing waits for her acknowledgement: she is told so, nothing is recorded, question 2 comes again.
    const got = await say(COMMUNE, "đã nhận");
    expect(got).toEqual(["Không có văn bản nào đang chờ anh/chị xác nhận «đã nhận».", asked]);
    expect((await t.database.db.select().from(answers)).map((a) => a.key)).toEqual(["comm_sessions"]);

    // A commune officer's «?» lists the report's commands and the urgent ones; a district officer's, what a district does in chat.
    const communeHelp = (await say(COMMUNE, "?")).join("\n");
    for (const line of ["• sửa 12", "• web", "• khẩn", "• cập nhật KC-", "• đóng KC-", "• đã nhận"]) expect(communeHelp).toContain(line);
    const districtHelp = (await say(DISTRICT, "?")).join("\n");
    for (const line of ["• khẩn", "• cập nhật KC-", "• đóng KC-", "• đã nhận"]) expect(districtHelp).toContain(line);
    expect(districtHelp).not.toContain("• sửa 12");

    // An urgent case "tối qua 20h": yesterday at 20:00 in Hà Nội.
    await say(COMMUNE, "khẩn");
    await say(COMMUNE, "1");
    await say(COMMUNE, "tối qua 20h");
    // "xong" where the place is asked: no place, and the case is filed (not a place called "xong").
    await say(COMMUNE, "xong");
    const [filed] = await t.database.db.select().from(incidents);
    expect(filed!.occurredAt.toISOString()).toBe("2026-06-13T13:00:00.000Z");
    expect(filed!.place).toBeNull();
    // "xong" at the first detail question ends the details: no attachments prompt, no second "xong".
    const done = await say(COMMUNE, "xong");
    expect(done[0]).toBe(`Đã gửi ${filed!.ref}. Cảm ơn anh/chị. Có ảnh hoặc tài liệu thì gõ "cập nhật ${filed!.ref}" rồi gửi tệp.`);
    // Back in the report, at its question, without being told to type "tiếp tục".
    expect(done.at(-2)).toBe("Tiếp tục báo cáo 6 tháng đầu năm 2026:");
    expect(done.at(-1)).toMatch(/^Câu 2\/\d+\. /);

    // A photo comes later with «cập nhật KC-…»; "xong" ends the update and is not stored as news.
    await say(COMMUNE, `cập nhật ${filed!.ref}`);
    const photo = textUpdate(COMMUNE, "");
    const { text: _none, ...message } = photo.message;
    expect(
      (await s.postUpdate({ ...photo, message: { ...message, photo: [{ file_id: "AgAD-photo-1", file_unique_id: "u1", width: 800, height: 600 }] } })).status,
    ).toBe(200);
    expect(tg.texts(COMMUNE).at(-1)).toBe(`Đã nhận tệp, ghi vào ${filed!.ref}. Gửi thêm, gõ nội dung cập nhật, hoặc gõ "xong".`);
    const updated = await say(COMMUNE, "xong");
    expect(updated[0]).toBe(`Đã cập nhật ${filed!.ref}.`);
    expect(updated.at(-1)).toMatch(/^Câu 2\/\d+\. /);
    const [withPhoto] = await t.database.db.select().from(incidents);
    expect(withPhoto!.attachments).toEqual([{ channel: "chat", fileId: "AgAD-photo-1", kind: "photo" }]);
    const events = await t.database.db.select().from(incidentEvents).where(eq(incidentEvents.incidentId, filed!.id));
    expect(events.filter((e) => e.kind === "note")).toEqual([]);
    expect(events.filter((e) => e.kind === "attachment")).toHaveLength(1);
  });
});
