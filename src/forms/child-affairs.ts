import type { FormInput } from "./form-schema.js";

/**
 * Báo cáo công tác trẻ em (6 tháng / năm) of a commune, drafted from the task lists of the five
 * seed letters (Lạng Sơn 2019 and 2023, Tam Đường 2020, Quảng Bình 2024, Lai Châu city 2024).
 * The official appendices were not available: this is editable data. A change that alters
 * questions gets a new version; half-filled reports stay on the version they started.
 */
export const childAffairsV1: FormInput = {
  id: "child-affairs",
  version: 1,
  title: "Báo cáo công tác trẻ em",
  sections: [
    {
      id: "communication",
      title: "Tuyên truyền, truyền thông",
      questions: [
        {
          id: "comm_sessions",
          type: "integer",
          label: "Số buổi truyền thông về bảo vệ, chăm sóc trẻ em đã tổ chức",
          unit: "buổi",
          max: 10000,
          help: "Tính cả truyền thông trực tiếp, qua loa truyền thanh và lồng ghép trong các cuộc họp thôn, bản.",
        },
        {
          id: "comm_people",
          type: "integer",
          label: "Số lượt người tham dự các buổi truyền thông",
          unit: "lượt",
          max: 1000000,
          relevant: { q: "comm_sessions", op: "gt", value: 0 },
        },
        {
          id: "comm_children",
          type: "integer",
          label: "Trong đó, số lượt trẻ em tham dự",
          unit: "lượt",
          max: 1000000,
          relevant: { q: "comm_sessions", op: "gt", value: 0 },
        },
      ],
    },
    {
      id: "training",
      title: "Tập huấn, bồi dưỡng",
      questions: [
        {
          id: "trainings",
          type: "integer",
          label: "Số lớp tập huấn, bồi dưỡng kỹ năng cho người làm công tác trẻ em và cộng tác viên",
          unit: "lớp",
          max: 1000,
        },
        { id: "trainees", type: "integer", label: "Số người được tập huấn", unit: "người", max: 100000, relevant: { q: "trainings", op: "gt", value: 0 } },
      ],
    },
    {
      id: "special",
      title: "Trẻ em có hoàn cảnh đặc biệt",
      questions: [
        {
          id: "special_total",
          type: "integer",
          label: "Tổng số trẻ em có hoàn cảnh đặc biệt trên địa bàn",
          unit: "em",
          max: 100000,
          help: "14 nhóm theo Điều 10 Luật Trẻ em 2016: mồ côi cả cha và mẹ, bị bỏ rơi, không nơi nương tựa, khuyết tật, nhiễm HIV/AIDS, vi phạm pháp luật, nghiện ma túy, bỏ học kiếm sống, bị tổn hại do bạo lực, bị bóc lột, bị xâm hại tình dục, bị mua bán, mắc bệnh hiểm nghèo thuộc hộ nghèo/cận nghèo, di cư/lánh nạn.",
        },
        {
          id: "special_boys",
          type: "integer",
          label: "Trong đó, số trẻ em trai",
          unit: "em",
          max: 100000,
          relevant: { q: "special_total", op: "gt", value: 0 },
        },
        { id: "special_girls", type: "integer", label: "Số trẻ em gái", unit: "em", max: 100000, relevant: { q: "special_total", op: "gt", value: 0 } },
        {
          id: "special_groups",
          type: "multiple",
          label: "Các nhóm hoàn cảnh đặc biệt có trên địa bàn",
          choices: "special_circumstances",
          relevant: { q: "special_total", op: "gt", value: 0 },
        },
        {
          id: "special_supported",
          type: "integer",
          label: "Số trẻ em có hoàn cảnh đặc biệt được trợ giúp trong kỳ",
          unit: "em",
          max: 100000,
          relevant: { q: "special_total", op: "gt", value: 0 },
        },
        {
          id: "support_kinds",
          type: "multiple",
          label: "Các hình thức trợ giúp đã thực hiện",
          choices: "support_given",
          required: false,
          relevant: { q: "special_supported", op: "gt", value: 0 },
        },
      ],
    },
    {
      id: "abuse",
      title: "Trẻ em bị xâm hại",
      questions: [
        { id: "abuse_cases", type: "integer", label: "Số vụ xâm hại trẻ em phát hiện trong kỳ", unit: "vụ", max: 10000 },
        { id: "abuse_children", type: "integer", label: "Số trẻ em bị xâm hại", unit: "em", max: 10000, relevant: { q: "abuse_cases", op: "gt", value: 0 } },
        { id: "abuse_boys", type: "integer", label: "Trong đó, số trẻ em trai", unit: "em", max: 10000, relevant: { q: "abuse_children", op: "gt", value: 0 } },
        { id: "abuse_girls", type: "integer", label: "Số trẻ em gái", unit: "em", max: 10000, relevant: { q: "abuse_children", op: "gt", value: 0 } },
        {
          id: "abuse_age_0_5",
          type: "integer",
          label: "Số trẻ bị xâm hại dưới 6 tuổi",
          unit: "em",
          max: 10000,
          relevant: { q: "abuse_children", op: "gt", value: 0 },
        },
        {
          id: "abuse_age_6_10",
          type: "integer",
          label: "Số trẻ bị xâm hại từ 6 đến dưới 11 tuổi",
          unit: "em",
          max: 10000,
          relevant: { q: "abuse_children", op: "gt", value: 0 },
        },
        {
          id: "abuse_age_11_15",
          type: "integer",
          label: "Số trẻ bị xâm hại từ 11 đến dưới 16 tuổi",
          unit: "em",
          max: 10000,
          relevant: { q: "abuse_children", op: "gt", value: 0 },
        },
      ],
    },
    {
      id: "abuse_case",
      title: "Chi tiết từng trẻ bị xâm hại (không ghi tên)",
      relevant: { q: "abuse_children", op: "gt", value: 0 },
      repeat: { itemLabel: "Trẻ thứ", addAnotherPrompt: "Khai thêm một trẻ bị xâm hại khác?", max: 30 },
      questions: [
        { id: "case_form", type: "single", label: "Hình thức xâm hại", choices: "abuse_form" },
        { id: "case_sex", type: "single", label: "Giới tính", choices: "sex" },
        { id: "case_age", type: "integer", label: "Tuổi", unit: "tuổi", max: 15, help: "Trẻ em là người dưới 16 tuổi (Điều 1 Luật Trẻ em)." },
        { id: "case_setting", type: "single", label: "Môi trường xảy ra", choices: "abuse_setting" },
        { id: "case_supported", type: "yesno", label: "Trẻ đã được hỗ trợ, can thiệp?" },
      ],
    },
    {
      id: "injury",
      title: "Tai nạn thương tích, đuối nước",
      questions: [
        { id: "drowning_deaths", type: "integer", label: "Số trẻ em tử vong do đuối nước", unit: "em", max: 1000 },
        {
          id: "drowning_deaths_girls",
          type: "integer",
          label: "Trong đó, số trẻ em gái",
          unit: "em",
          max: 1000,
          relevant: { q: "drowning_deaths", op: "gt", value: 0 },
        },
        { id: "accident_deaths", type: "integer", label: "Số trẻ em tử vong do tai nạn thương tích khác (giao thông, ngã, điện giật…)", unit: "em", max: 1000 },
        { id: "injuries", type: "integer", label: "Số trẻ em bị tai nạn thương tích phải điều trị", unit: "em", max: 10000 },
      ],
    },
    {
      id: "action_month",
      title: "Tháng hành động vì trẻ em, quà và quỹ",
      questions: [
        { id: "action_month_events", type: "integer", label: "Số hoạt động hưởng ứng Tháng hành động vì trẻ em (tháng 6)", unit: "hoạt động", max: 1000 },
        { id: "gifts", type: "integer", label: "Số suất quà đã trao cho trẻ em", unit: "suất", max: 100000 },
        {
          id: "gift_value",
          type: "integer",
          money: true,
          label: "Tổng giá trị quà và tiền hỗ trợ (đồng)",
          unit: "đồng",
          max: 1e12,
          relevant: { q: "gifts", op: "gt", value: 0 },
          help: 'Viết số tiền như "5.000.000", "5 triệu", "62,5tr" hoặc "500k".',
        },
        {
          id: "fund_raised",
          type: "integer",
          money: true,
          label: "Số tiền vận động cho Quỹ Bảo trợ trẻ em (đồng)",
          unit: "đồng",
          max: 1e12,
          required: false,
          help: 'Viết số tiền như "5.000.000", "5 triệu", "62,5tr" hoặc "500k".',
        },
      ],
    },
    {
      id: "participation",
      title: "Xã, phường phù hợp với trẻ em; trẻ em tham gia",
      questions: [
        { id: "child_friendly", type: "single", label: "Tình trạng xã, phường phù hợp với trẻ em", choices: "child_friendly_status" },
        { id: "forums", type: "integer", label: "Số diễn đàn, hội nghị lấy ý kiến trẻ em đã tổ chức", unit: "diễn đàn", max: 100 },
        { id: "forum_children", type: "integer", label: "Số trẻ em tham gia diễn đàn", unit: "em", max: 100000, relevant: { q: "forums", op: "gt", value: 0 } },
      ],
    },
    {
      id: "data",
      title: "Cơ sở dữ liệu và thông tin người báo cáo",
      questions: [
        { id: "database_updated", type: "yesno", label: "Đã cập nhật thông tin trẻ em vào cơ sở dữ liệu quốc gia về trẻ em trong kỳ?" },
        {
          id: "database_children",
          type: "integer",
          label: "Số trẻ em được cập nhật thông tin",
          unit: "em",
          max: 100000,
          relevant: { q: "database_updated", op: "eq", value: true },
        },
        // Reports are due before their period ends (the letters: 20/5 and 15/11) and late ones
        // stay open until the next period opens, months later: six months after is still plausible.
        {
          id: "report_date",
          type: "date",
          label: "Ngày lập báo cáo",
          notFuture: true,
          range: { min: { from: "period_start" }, max: { from: "period_end", days: 183 }, why: "trong kỳ báo cáo hoặc trong 6 tháng sau kỳ" },
        },
        { id: "contact_phone", type: "phone", label: "Số điện thoại liên hệ của người lập báo cáo", required: false },
        { id: "notes", type: "text", label: "Khó khăn, vướng mắc và kiến nghị", required: false, maxLength: 1000 },
      ],
    },
  ],
  computed: [
    {
      id: "children_harmed",
      label: "Tổng số trẻ em bị xâm hại, tử vong do đuối nước và tai nạn",
      sum: ["abuse_children", "drowning_deaths", "accident_deaths"],
    },
  ],
  checks: [
    { kind: "lte", left: "comm_children", right: "comm_people" },
    { kind: "sum", total: "special_total", parts: ["special_boys", "special_girls"] },
    { kind: "lte", left: "special_supported", right: "special_total" },
    { kind: "sum", total: "abuse_children", parts: ["abuse_boys", "abuse_girls"] },
    { kind: "sum", total: "abuse_children", parts: ["abuse_age_0_5", "abuse_age_6_10", "abuse_age_11_15"] },
    { kind: "lte", left: "drowning_deaths_girls", right: "drowning_deaths" },
  ],
};
