import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/conversations/commands.js";
import { renderPlainText } from "../../src/bot/plain-text.js";
import { renderTelegram } from "../../src/bot/telegram.js";
import { reportLabel, reportTitle, rolesAsked, shortDate, startChoice } from "../../src/reporting/reminder-topic.js";

describe("an officer names one of her open reports", () => {
  it('by "báo cáo 2", "/baocao 2" or a report\'s button; plain "báo cáo" still opens the list or the one report', () => {
    expect(parseCommand({ text: "báo cáo" })).toEqual({ name: "start" });
    expect(parseCommand({ text: "Báo cáo 2" })).toEqual({ name: "start", index: 2 });
    expect(parseCommand({ text: "bao cao so 3" })).toEqual({ name: "start", index: 3 });
    expect(parseCommand({ text: "làm báo cáo 1" })).toEqual({ name: "start", index: 1 });
    expect(parseCommand({ text: "/baocao 2" })).toEqual({ name: "start", index: 2 });
    expect(parseCommand({ text: "/baocao" })).toEqual({ name: "start" });
    expect(parseCommand({ choice: "cmd:start:thang-hanh-dong" })).toEqual({ name: "start", template: "thang-hanh-dong" });
    expect(parseCommand({ choice: "cmd:start" })).toEqual({ name: "start" });
    // The urgent report keeps its words; a bare number is an answer, not a command.
    expect(parseCommand({ text: "báo cáo khẩn" })).toEqual({ name: "urgent" });
    expect(parseCommand({ text: "2" })).toBeUndefined();
  });
});

describe("how a report is named beside another", () => {
  it("the template's name without its periodicity, then the period; a name with its year is not given it twice", () => {
    expect(reportTitle({ name: "Báo cáo công tác trẻ em (6 tháng, năm)" }, "2026-Y")).toBe("Báo cáo công tác trẻ em năm 2026");
    expect(reportTitle({ name: "Báo cáo công tác trẻ em (6 tháng, năm)" }, "2026-H1")).toBe("Báo cáo công tác trẻ em 6 tháng đầu năm 2026");
    expect(reportTitle({ name: "Báo cáo Tháng hành động 2026" }, "2026-Y")).toBe("Báo cáo Tháng hành động 2026");
    expect(reportTitle({ name: "Báo cáo tiêm chủng" }, "2026-Q3")).toBe("Báo cáo tiêm chủng quý 3/2026");
  });

  it("in the conversation's sentences: the shipped report by its period as before, any other by its name", () => {
    expect(reportLabel({ id: "child-affairs", name: "Báo cáo công tác trẻ em (6 tháng, năm)" }, "2026-Y")).toBe("báo cáo năm 2026");
    expect(reportLabel({ id: "thd", name: "Báo cáo Tháng hành động 2026" }, "2026-Y")).toBe("báo cáo Tháng hành động 2026");
    expect(shortDate("2026-07-20")).toBe("20/7");
    expect(shortDate("2026-11-10")).toBe("10/11");
  });

  it("a template's reminders go to the roles it asks (none set: everyone who reports)", () => {
    expect(rolesAsked({ roles: [] }, ["commune"])).toEqual(["commune"]);
    expect(rolesAsked({ roles: ["district"] }, ["commune"])).toEqual([]);
  });
});

describe("the list of open reports on each platform", () => {
  const list = {
    text: "Anh/chị có 2 báo cáo cần làm:",
    choices: [
      { value: startChoice("child-affairs"), label: "Báo cáo công tác trẻ em năm 2026 — hạn 10/11" },
      { value: startChoice("thang-hanh-dong"), label: "Báo cáo Tháng hành động 2026 — hạn 20/7 (quá hạn)" },
    ],
  };

  it("is numbered on Zalo Bot, to be answered by its number", () => {
    expect(renderPlainText(list, 2000)).toEqual([
      "Anh/chị có 2 báo cáo cần làm:\n\n1. Báo cáo công tác trẻ em năm 2026 — hạn 10/11\n2. Báo cáo Tháng hành động 2026 — hạn 20/7 (quá hạn)\nTrả lời bằng số hoặc tên lựa chọn.",
    ]);
  });

  it("is one button a row on Telegram, each opening its report", () => {
    const [message] = renderTelegram(list);
    const keyboard = (message!.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard;
    expect(keyboard.filter((row) => row.length > 0).map((row) => row.map((b) => b.callback_data))).toEqual([
      ["cmd:start:child-affairs"],
      ["cmd:start:thang-hanh-dong"],
    ]);
  });
});
