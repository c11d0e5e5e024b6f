import { describe, expect, it } from "vitest";
import { renderTelegram } from "../../src/bot/telegram.js";
import { renderPlainText } from "../../src/bot/plain-text.js";
import { parseCommand } from "../../src/conversations/commands.js";
import { parseAnswer } from "../../src/forms/form-runtime.js";
import { signInitData, verifyInitData } from "../../src/web-form/telegram-init-data.js";

const TOKEN = "123456:TEST-token";
const now = new Date("2026-11-07T03:00:00Z");
const authDate = String(Math.floor(now.getTime() / 1000));
const user = JSON.stringify({ id: 8101, first_name: "Mai" });

describe("a Telegram Web App's initData", () => {
  it("signed by Telegram for the bot is taken, with the user it names", () => {
    const check = verifyInitData(signInitData({ auth_date: authDate, query_id: "AAH", user }, TOKEN), TOKEN, now, 86_400);
    expect(check).toEqual({ ok: true, userId: "8101", authDate: new Date(Number(authDate) * 1000) });
  });
  it("changed after signing, signed with another bot's token, too old, or without a hash is refused", () => {
    const signed = signInitData({ auth_date: authDate, user }, TOKEN);
    expect(verifyInitData(signed.replace("8101", "8102"), TOKEN, now, 86_400)).toEqual({ ok: false, reason: "bad_hash" });
    expect(verifyInitData(signInitData({ auth_date: authDate, user }, "999:OTHER"), TOKEN, now, 86_400)).toEqual({ ok: false, reason: "bad_hash" });
    const old = signInitData({ auth_date: String(Number(authDate) - 86_401), user }, TOKEN);
    expect(verifyInitData(old, TOKEN, now, 86_400)).toEqual({ ok: false, reason: "expired" });
    expect(verifyInitData(`auth_date=${authDate}&user=${encodeURIComponent(user)}`, TOKEN, now, 86_400)).toEqual({ ok: false, reason: "malformed" });
    expect(verifyInitData("", TOKEN, now, 86_400)).toEqual({ ok: false, reason: "malformed" });
    expect(verifyInitData(signInitData({ auth_date: authDate }, TOKEN), TOKEN, now, 86_400)).toEqual({ ok: false, reason: "no_user" });
  });
});

describe("«Điền trên web» in each channel", () => {
  const link = { url: "https://baocao.example/f/abc", label: "📝 Điền trên web" };
  it("is a Web App button on Telegram when the address is https, under the answer buttons", () => {
    const [part] = renderTelegram({ text: "Hạn nộp: 10/11/2026.", choices: [{ value: "cmd:start", label: "📝 Làm báo cáo" }], link });
    expect(part!.text).toBe("Hạn nộp: 10/11/2026.");
    const rows = (part!.reply_markup as { inline_keyboard: unknown[][] }).inline_keyboard.filter((r) => r.length > 0);
    expect(rows.at(-1)).toEqual([{ text: "📝 Điền trên web", web_app: { url: "https://baocao.example/f/abc" } }]);
  });
  it("is written under the text on Telegram in development (http) and on Zalo Bot", () => {
    const dev = { ...link, url: "http://localhost:3000/f/abc" };
    expect(renderTelegram({ text: "Hạn nộp: 10/11/2026.", link: dev })).toEqual([
      { text: "Hạn nộp: 10/11/2026.\n\n📝 Điền trên web: http://localhost:3000/f/abc" },
    ]);
    expect(renderPlainText({ text: "Hạn nộp: 10/11/2026.", link }, 2000)).toEqual(["Hạn nộp: 10/11/2026.\n\n📝 Điền trên web: https://baocao.example/f/abc"]);
  });
  it("a reminder's button is «web» to type on a platform without buttons", () => {
    const [text] = renderPlainText({ text: "Nhắc", choices: [{ value: "cmd:web:child-affairs", label: "🌐 Điền trên web" }] }, 2000);
    expect(text).toBe('Nhắc\n\nGõ "web" (Điền trên web).');
  });
  it("an officer who types «web», «điền trên web» or presses the reminder's button asks for the link", () => {
    expect(parseCommand({ text: "web" })).toEqual({ name: "web" });
    expect(parseCommand({ text: "Điền trên web" })).toEqual({ name: "web" });
    expect(parseCommand({ text: "dien web" })).toEqual({ name: "web" });
    expect(parseCommand({ choice: "cmd:web:child-affairs" })).toEqual({ name: "web", template: "child-affairs" });
  });
});

describe("the web form's ticked boxes", () => {
  const q = {
    id: "kinds",
    type: "multiple" as const,
    label: "Hình thức",
    required: true,
    choices: [
      { value: "y_te", label: "Y tế" },
      { value: "tam_ly", label: "Tâm lý" },
    ],
  };
  it("are stored in the form's order; a value that is not the question's own, or none, is refused", () => {
    expect(parseAnswer(q as never, { values: ["tam_ly", "y_te"] }, { today: "2026-11-07" })).toEqual({ ok: true, value: ["y_te", "tam_ly"] });
    expect(parseAnswer(q as never, { values: ["y_te", "khac"] }, { today: "2026-11-07" })).toEqual({
      ok: false,
      message: expect.stringMatching(/không còn hợp lệ/),
    });
    expect(parseAnswer(q as never, { values: [] }, { today: "2026-11-07" })).toEqual({ ok: false, message: "Anh/chị chưa chọn lựa chọn nào." });
  });
});

describe("a multiple-choice question on a platform without buttons (Zalo Bot)", () => {
  it("lists its options to type as numbers, without «Xong» or a second hint", () => {
    const [text] = renderPlainText(
      {
        text: 'Câu 9/40. Các nhóm\n(chọn một hoặc nhiều: bấm từng lựa chọn rồi «Xong», hoặc gõ các số, ví dụ "1, 3")',
        multiple: true,
        choices: [
          { value: "pick:a", label: "✓ Mồ côi" },
          { value: "pick:b", label: "Bị bỏ rơi" },
          { value: "cmd:done", label: "✅ Xong" },
        ],
      },
      2000,
    );
    expect(text).toBe('Câu 9/40. Các nhóm\n(chọn một hoặc nhiều: bấm từng lựa chọn rồi «Xong», hoặc gõ các số, ví dụ "1, 3")\n\n1. Mồ côi\n2. Bị bỏ rơi');
  });
});
