import type { Db, DbOrTx } from "../db/client.js";
import { campaigns, campaignSteps } from "../db/schema/index.js";
import type { StepRule } from "../domain/campaign-dates.js";
import type { Audience } from "../delivery/audience.js";

/**
 * The shipped campaigns (DOMAIN.md "Campaigns and observances"): the June Action Month for
 * Children with its yearly theme, Tết Trung thu (15/8 lunar), and summer drowning warnings.
 * Editable afterwards: seeding never overwrites.
 */
const THEMES: Record<string, string> = {
  "2019": "Chung tay vì trẻ em nghèo, trẻ em dân tộc thiểu số",
  "2020": "Chung tay bảo vệ trẻ em, phòng, chống xâm hại trẻ em",
  "2021": "Chung tay bảo đảm thực hiện quyền trẻ em, bảo vệ trẻ em trong thiên tai, dịch bệnh",
  "2022": "Chung tay bảo vệ trẻ em, hãy lên tiếng phòng, chống xâm hại, bạo lực trẻ em",
  "2023": "Chung tay giảm thiểu tổn hại trẻ em",
  "2024": "Hành động thiết thực, ưu tiên nguồn lực cho trẻ em",
  "2025": "Ưu tiên nguồn lực hoàn thành các mục tiêu vì trẻ em",
};

const JUNE_1: StepRule = { kind: "solar", day: 1, month: 6 };

export const SHIPPED_CAMPAIGNS: {
  key: string;
  name: string;
  themes?: Record<string, string>;
  steps: { key: string; rule: StepRule; sendAt?: string; text: string }[];
}[] = [
  {
    key: "action-month",
    name: "Tháng hành động vì trẻ em",
    themes: THEMES,
    steps: [
      {
        key: "launch",
        rule: { kind: "last-weekday", month: 5, weekday: 1 },
        text: "Tuần này phát động Tháng hành động vì trẻ em {year} (1–30/6), chủ đề: «{theme}». Anh/chị chuẩn bị kế hoạch hoạt động của xã và tuyên truyền Tổng đài 111.",
      },
      {
        key: "june-1",
        rule: JUNE_1,
        text: "Hôm nay 1/6, Ngày Quốc tế Thiếu nhi, mở đầu Tháng hành động vì trẻ em {year}. Anh/chị ghi lại các hoạt động, quà tặng trẻ em để báo cáo cuối tháng.",
      },
      {
        key: "weekly",
        rule: { kind: "weekly", from: { day: 8, month: 6 }, to: { day: 29, month: 6 }, weekday: 1 },
        text: "Tháng hành động vì trẻ em: anh/chị nhớ rà soát điểm nguy cơ tai nạn, đuối nước và cập nhật hoạt động của xã trong tuần.",
      },
      {
        key: "report",
        rule: { kind: "solar", day: 30, month: 6 },
        text: "Tháng hành động vì trẻ em {year} kết thúc hôm nay. Xã gửi báo cáo kết quả về tỉnh trước 20/7.",
      },
    ],
  },
  {
    key: "trung-thu",
    name: "Tết Trung thu",
    steps: [
      {
        key: "before",
        rule: { kind: "relative", to: { kind: "lunar", day: 15, month: 8 }, days: -7 },
        text: "Còn một tuần nữa là Tết Trung thu (15/8 âm lịch). Anh/chị rà soát danh sách trẻ em có hoàn cảnh đặc biệt để tặng quà, vui Trung thu.",
      },
      {
        key: "day",
        rule: { kind: "lunar", day: 15, month: 8 },
        text: "Hôm nay là Tết Trung thu. Chúc các em vui, an toàn; anh/chị ghi lại số suất quà đã trao để báo cáo.",
      },
    ],
  },
  {
    key: "summer-safety",
    name: "Phòng, chống đuối nước mùa hè",
    steps: [
      {
        key: "weekly",
        rule: { kind: "weekly", from: { day: 1, month: 6 }, to: { day: 31, month: 8 }, weekday: 5 },
        sendAt: "07:30",
        text: "Mùa hè: anh/chị nhắc thôn, bản cảnh báo ao, hồ, sông suối nguy hiểm, không để trẻ em đi bơi một mình. Có sự việc, gọi ngay Tổng đài 111.",
      },
    ],
  },
];

/** Creates the shipped campaigns once, for every commune officer of the post-2025 tree (never overwrites edits). */
export async function seedCampaigns(db: Db): Promise<void> {
  const audience: Audience = { scheme: "post2025", roles: ["commune"] };
  for (const c of SHIPPED_CAMPAIGNS) {
    const [row] = await db
      .insert(campaigns)
      .values({ key: c.key, name: c.name, audience, themes: c.themes ?? {} })
      .onConflictDoNothing()
      .returning({ id: campaigns.id });
    if (!row) continue;
    await db.insert(campaignSteps).values(c.steps.map((s) => ({ campaignId: row.id, key: s.key, rule: s.rule, sendAt: s.sendAt ?? "08:00", text: s.text })));
  }
}

/**
 * The shipped campaigns once more for the demo province (src/directory/demo.ts), so that its
 * officers see and edit campaigns of their own: the national ones go to the official tree only.
 */
export async function seedDemoCampaigns(db: DbOrTx, demoProvinceCode: string): Promise<void> {
  const audience: Audience = { scheme: "demo", rootCode: demoProvinceCode, roles: ["commune"] };
  for (const c of SHIPPED_CAMPAIGNS) {
    const [row] = await db
      .insert(campaigns)
      .values({ key: `demo-${c.key}`, name: `${c.name} (dữ liệu thử)`, audience, themes: c.themes ?? {} })
      .onConflictDoNothing()
      .returning({ id: campaigns.id });
    if (!row) continue;
    await db.insert(campaignSteps).values(c.steps.map((s) => ({ campaignId: row.id, key: s.key, rule: s.rule, sendAt: s.sendAt ?? "08:00", text: s.text })));
  }
}
