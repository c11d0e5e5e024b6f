import { describe, expect, it } from "vitest";
import { formatDateTime, parseVietnameseDate, parseVietnameseDateTime } from "../../src/domain/dates.js";
import { addWorkingDays, holidaysOf, isWorkingDay } from "../../src/domain/working-days.js";

const HANOI = "Asia/Ho_Chi_Minh";
// 10:00 on Sunday 14/06/2026 in Hà Nội (UTC+7, no daylight saving).
const NOW = new Date("2026-06-14T03:00:00Z");

describe("parseVietnameseDateTime: when an urgent case happened, as the officer says it", () => {
  it.each([["bây giờ"], ["vừa xong"], ["vừa mới"], ["ngay bây giờ"], ["lúc này"], ["now"]])("«%s» is the moment the message arrived", (text) => {
    expect(parseVietnameseDateTime(text, NOW, HANOI)).toEqual(NOW);
  });

  // [typed, the instant in UTC, worked out by hand from 14/06/2026 in UTC+7]
  it.each([
    ["17h", "2026-06-14T10:00:00.000Z"],
    ["17h30", "2026-06-14T10:30:00.000Z"],
    ["17 giờ 30 phút", "2026-06-14T10:30:00.000Z"],
    ["17:05", "2026-06-14T10:05:00.000Z"],
    ["9h sáng", "2026-06-14T02:00:00.000Z"],
    ["5h chiều", "2026-06-14T10:00:00.000Z"],
    ["8 giờ tối", "2026-06-14T13:00:00.000Z"],
    ["12h trưa", "2026-06-14T05:00:00.000Z"],
    ["12h chiều", "2026-06-14T05:00:00.000Z"],
    ["13h chiều", "2026-06-14T06:00:00.000Z"],
    ["0h", "2026-06-13T17:00:00.000Z"],
    ["23h59", "2026-06-14T16:59:00.000Z"],
    ["hôm nay 8:15", "2026-06-14T01:15:00.000Z"],
    ["hôm qua 17h", "2026-06-13T10:00:00.000Z"],
    ["hôm qua lúc 17h", "2026-06-13T10:00:00.000Z"],
    ["hôm qua", "2026-06-13T05:00:00.000Z"], // a day without an hour: noon
    ["hôm kia", "2026-06-12T05:00:00.000Z"],
    ["20/11 9h", "2026-11-20T02:00:00.000Z"],
    ["20/11/2026 09:30", "2026-11-20T02:30:00.000Z"],
    // The part of the day with its day, as officers say it; without an hour, the part's usual one.
    ["sáng nay", "2026-06-14T01:00:00.000Z"],
    ["tối qua 20h", "2026-06-13T13:00:00.000Z"],
    ["tối qua", "2026-06-13T13:00:00.000Z"],
    ["chiều qua 3 giờ", "2026-06-13T08:00:00.000Z"],
    ["3 giờ chiều hôm qua", "2026-06-13T08:00:00.000Z"],
    ["8h sáng nay", "2026-06-14T01:00:00.000Z"],
    ["trưa nay", "2026-06-14T05:00:00.000Z"],
    ["toi qua 9h", "2026-06-13T14:00:00.000Z"],
    ["đêm qua 2h", "2026-06-13T19:00:00.000Z"], // the small hours after yesterday: 02:00 today
    ["đêm qua 11h", "2026-06-13T16:00:00.000Z"],
  ])("«%s» is %s", (text, utc) => {
    expect(parseVietnameseDateTime(text, NOW, HANOI)?.toISOString()).toBe(utc);
  });

  it("reads the hour in the zone it is given", () => {
    expect(parseVietnameseDateTime("17h", NOW, "UTC")?.toISOString()).toBe("2026-06-14T17:00:00.000Z");
  });

  it.each([
    ["24h"],
    ["17h60"],
    ["31/2 9h"],
    [""],
    ["chiều"],
    ["trước bây giờ"],
    ["bây giờ 17h"],
    ["hôm qua lúc"],
    ["khoảng 17h"],
    ["sáng qua 9h tối"],
    ["tối nay nữa"],
  ])("«%s» is not a time: the officer is asked again", (text) => {
    expect(parseVietnameseDateTime(text, NOW, HANOI)).toBeUndefined();
  });
});

describe("formatDateTime: hh:mm dd/mm/yyyy in the reporting time zone", () => {
  it("shows Hà Nội's wall clock, midnight as 00:00", () => {
    expect(formatDateTime(new Date("2026-06-14T03:05:00Z"), HANOI)).toBe("10:05 14/06/2026");
    expect(formatDateTime(new Date("2026-06-13T17:00:00Z"), HANOI)).toBe("00:00 14/06/2026");
    expect(formatDateTime(new Date("2026-06-14T03:05:00Z"), "UTC")).toBe("03:05 14/06/2026");
  });
});

describe("parseVietnameseDate: the short forms officers type", () => {
  it("«nay» and «qua» alone are today and yesterday", () => {
    expect(parseVietnameseDate("nay", "2026-06-14")).toBe("2026-06-14");
    expect(parseVietnameseDate("qua", "2026-06-14")).toBe("2026-06-13");
  });

  it("spaces around the separators are fine; words before the date are not", () => {
    expect(parseVietnameseDate("14 / 6 / 2026", "2026-01-01")).toBe("2026-06-14");
    expect(parseVietnameseDate("14/6 /2026", "2026-01-01")).toBe("2026-06-14");
    expect(parseVietnameseDate("14/6/ 2026", "2026-01-01")).toBe("2026-06-14");
    expect(parseVietnameseDate("ngày 14/6", "2026-01-01")).toBe("2026-06-14");
    expect(parseVietnameseDate("số 14/6", "2026-01-01")).toBeUndefined();
    expect(parseVietnameseDate("14/6 tới", "2026-01-01")).toBeUndefined();
  });
});

describe("working days: the legal clocks of an urgent case skip weekends and public holidays", () => {
  it("the public holidays of 2026 (Bộ luật Lao động 2019, Điều 112), written out from the 2026 calendar", () => {
    // Tết Bính Ngọ is 17/02/2026, so giao thừa is 16/02 and mùng 4 is 20/02; Giỗ Tổ (10/3 âm lịch) is 26/04.
    expect([...holidaysOf(2026)].sort()).toEqual([
      "2026-01-01",
      "2026-02-16",
      "2026-02-17",
      "2026-02-18",
      "2026-02-19",
      "2026-02-20",
      "2026-04-26",
      "2026-04-30",
      "2026-05-01",
      "2026-09-01",
      "2026-09-02",
    ]);
  });

  it.each([
    ["2026-06-13", false, "a Saturday"],
    ["2026-06-14", false, "a Sunday"],
    ["2026-06-15", true, "a Monday"],
    ["2026-04-30", false, "30/4, a Thursday"],
    ["2026-02-16", false, "giao thừa, a Monday"],
    ["2026-02-23", true, "the Monday after Tết"],
  ])("%s is a working day: %s (%s)", (date, expected) => {
    expect(isWorkingDay(date)).toBe(expected);
  });

  it("5 working days after Tuesday 28/04/2026 is Thursday 07/05: 30/4, 1/5 and the weekend do not count", () => {
    expect(addWorkingDays("2026-04-28", 5)).toBe("2026-05-07");
    expect(addWorkingDays("2026-04-28", 1)).toBe("2026-04-29");
    expect(addWorkingDays("2026-04-28", 0)).toBe("2026-04-28");
  });
});
