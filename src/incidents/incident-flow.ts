import { questionSchema, type Question } from "../forms/form-schema.js";
import { formatAnswer, parseAnswer, REORDERED_MESSAGE, renderSlot, type ParseContext, type Slot } from "../forms/form-runtime.js";
import type { OutboundMessage } from "../domain/messages.js";
import { clip, hasReorderingControl } from "../domain/text.js";

/**
 * The urgent incident report (báo cáo khẩn) as a short, fixed conversation: three essentials
 * (what, when, where) and the case is filed and the supervisors alerted; the details follow as
 * updates to the same case. Categories: Luật Trẻ em 2016 Art. 4, Nghị định 56/2017 Arts. 11–14.
 */
export const INCIDENT_TYPES = [
  { value: "duoi_nuoc", label: "Tử vong do đuối nước" },
  { value: "tai_nan", label: "Tai nạn thương tích (tử vong, bị thương nặng)" },
  { value: "bao_luc", label: "Bạo lực" },
  { value: "xam_hai_tinh_duc", label: "Xâm hại tình dục" },
  { value: "boc_lot", label: "Bóc lột, lao động trẻ em" },
  { value: "mua_ban", label: "Mua bán, bắt cóc" },
  { value: "bo_roi", label: "Bỏ rơi, bỏ mặc" },
  { value: "khac", label: "Khác" },
];

const SUBTYPES: Record<string, { value: string; label: string }[]> = {
  xam_hai_tinh_duc: [
    { value: "hiep_dam", label: "Hiếp dâm" },
    { value: "cuong_dam", label: "Cưỡng dâm" },
    { value: "giao_cau", label: "Giao cấu" },
    { value: "dam_o", label: "Dâm ô" },
    { value: "mai_dam", label: "Mại dâm, khiêu dâm" },
  ],
  boc_lot: [
    { value: "lao_dong", label: "Lao động trái quy định" },
    { value: "khieu_dam", label: "Sản xuất sản phẩm khiêu dâm" },
    { value: "du_lich_mai_dam", label: "Du lịch, mại dâm" },
    { value: "ma_tuy", label: "Chất gây nghiện, hàng cấm" },
    { value: "truc_loi", label: "Trục lợi khác" },
  ],
  tai_nan: [
    { value: "tu_vong", label: "Tử vong" },
    { value: "bi_thuong_nang", label: "Bị thương nặng" },
  ],
};

export const INCIDENT_ACTIONS = [
  { value: "cong_an", label: "Đã báo công an" },
  { value: "y_te", label: "Đã đưa đến cơ sở y tế" },
  { value: "tong_dai_111", label: "Đã gọi Tổng đài 111" },
  { value: "tach_tam_thoi", label: "Tạm thời cách ly trẻ khỏi môi trường nguy hại" },
  { value: "bao_chu_tich", label: "Đã báo Chủ tịch UBND xã" },
];

const q = (input: unknown): Question => questionSchema.parse(input);

export const ESSENTIALS: Question[] = [
  q({ id: "type", type: "single", label: "Sự việc gì đã xảy ra?", choices: INCIDENT_TYPES }),
  q({
    id: "occurred_at",
    type: "datetime",
    label: 'Xảy ra lúc nào? (gõ "bây giờ" nếu vừa xảy ra)',
    required: false,
    // A child is under 16 (Luật Trẻ em, Art. 1): what happened to one happened in the last 16 years.
    range: { min: { from: "today", years: -16 }, max: { from: "today" }, why: "trẻ em là người dưới 16 tuổi" },
  }),
  q({ id: "place", type: "text", label: 'Ở đâu? (thôn, bản, tổ dân phố; "bỏ qua" nếu là trung tâm xã)', required: false, maxLength: 200 }),
];

export function detailQuestions(type: string): Question[] {
  const sub = SUBTYPES[type];
  return [
    ...(sub ? [q({ id: "subtype", type: "single", label: "Cụ thể là gì? (không bắt buộc)", choices: sub, required: false })] : []),
    q({ id: "child_age", type: "integer", label: "Trẻ bao nhiêu tuổi? (không ghi tên trẻ)", min: 0, max: 15, unit: "tuổi", required: false }),
    q({
      id: "child_sex",
      type: "single",
      label: "Giới tính của trẻ?",
      choices: [
        { value: "nam", label: "Nam" },
        { value: "nu", label: "Nữ" },
      ],
      required: false,
    }),
    q({ id: "description", type: "text", label: "Mô tả ngắn sự việc (không ghi tên, địa chỉ nhà của trẻ)", maxLength: 500, required: false }),
    q({ id: "actions", type: "multiple", label: "Đã làm gì? (chọn các số, cách nhau bởi dấu phẩy)", choices: INCIDENT_ACTIONS, required: false }),
  ];
}

/**
 * The detail questions' fields as a case page names them ("Tuổi của trẻ", not `child_age`): the
 * short form of each question above, for the timeline's "Bổ sung thông tin (…)".
 */
export const INCIDENT_FIELD_LABELS: Record<string, string> = {
  type: "Loại sự việc",
  occurred_at: "Thời gian xảy ra",
  place: "Nơi xảy ra",
  subtype: "Cụ thể",
  child_age: "Tuổi của trẻ",
  child_sex: "Giới tính của trẻ",
  description: "Mô tả sự việc",
  actions: "Đã làm gì",
};

export const incidentTypeLabel = (t: string) => INCIDENT_TYPES.find((x) => x.value === t)?.label ?? t;
export const incidentSubtypeLabel = (type: string, sub: string) => SUBTYPES[type]?.find((x) => x.value === sub)?.label ?? sub;
export const incidentActionLabel = (a: string) => INCIDENT_ACTIONS.find((x) => x.value === a)?.label ?? a;

export interface IncidentState {
  phase: "essentials" | "details" | "attachment" | "note";
  index: number;
  answers: Record<string, unknown>;
  incidentId?: number;
  ref?: string;
  /** Files received in this update ("cập nhật KC-…"): then "xong" ends it without a note. */
  attached?: number;
}

export type IncidentEffect =
  | { kind: "create"; answers: Record<string, unknown> }
  | { kind: "update"; field: string; value: unknown }
  | { kind: "note"; text: string }
  | { kind: "attach"; fileId: string; fileKind: string };

export interface IncidentStep {
  state?: IncidentState;
  effects: IncidentEffect[];
  messages: OutboundMessage[];
  /** The flow is over: go back to what the officer was doing. */
  done?: boolean;
}

const questionsOf = (s: IncidentState) => (s.phase === "essentials" ? ESSENTIALS : detailQuestions(String(s.answers.type ?? "")));

function ask(s: IncidentState): OutboundMessage {
  const list = questionsOf(s);
  const question = list[s.index]!;
  const slot: Slot = {
    key: question.id,
    number: String(s.index + 1),
    section: { id: "incident", title: "", questions: [question] },
    question,
    kind: "question",
  };
  const msg = renderSlot(slot, { total: list.length });
  // No question numbers here: the officer is in a hurry.
  return { ...msg, text: msg.text.replace(/^Câu \S+\/\d+\. /, s.phase === "essentials" ? "🚨 " : "") };
}

export function startIncident(): IncidentStep {
  const state: IncidentState = { phase: "essentials", index: 0, answers: {} };
  return { state, effects: [], messages: [{ text: "🚨 Báo cáo khẩn. Trả lời 3 câu là gửi được ngay; thông tin khác bổ sung sau." }, ask(state)] };
}

export function startCaseNote(incidentId: number, ref: string): IncidentStep {
  return {
    state: { phase: "note", index: 0, answers: {}, incidentId, ref },
    effects: [],
    messages: [{ text: `Cập nhật ${ref}: anh/chị gõ việc đã làm hoặc tình hình mới của trẻ (không ghi tên trẻ), hoặc gửi ảnh, tài liệu.` }],
  };
}

/** Applies one message. `filed` is the case once created (the service fills it in after `create`). */
export function stepIncident(
  state: IncidentState,
  input: { text?: string; choice?: string; attachment?: { kind: string; fileId?: string } },
  ctx: ParseContext,
): IncidentStep {
  const folded = (input.text ?? "").normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/gi, "d").toLowerCase().trim();

  if (state.phase === "note") {
    if (input.attachment?.fileId) {
      return {
        state: { ...state, attached: (state.attached ?? 0) + 1 },
        effects: [{ kind: "attach", fileId: input.attachment.fileId, fileKind: input.attachment.kind }],
        messages: [{ text: `Đã nhận tệp, ghi vào ${state.ref}. Gửi thêm, gõ nội dung cập nhật, hoặc gõ "xong".` }],
      };
    }
    const text = (input.text ?? "").trim();
    // "xong" is never stored as the case's news: after files it ends the update, before any it cancels it.
    if (/^(xong|het|thoi)$/.test(folded)) {
      return { effects: [], messages: [{ text: state.attached ? `Đã cập nhật ${state.ref}.` : `Không ghi gì thêm vào ${state.ref}.` }], done: true };
    }
    if (!text) return { state, effects: [], messages: [{ text: "Anh/chị gõ nội dung cập nhật bằng chữ." }] };
    if (hasReorderingControl(text)) return { state, effects: [], messages: [{ text: REORDERED_MESSAGE }] };
    return { effects: [{ kind: "note", text: clip(text, 1000) }], messages: [{ text: `Đã ghi cập nhật vào ${state.ref}.` }], done: true };
  }

  if (state.phase === "attachment") {
    if (input.attachment?.fileId) {
      return {
        state,
        effects: [{ kind: "attach", fileId: input.attachment.fileId, fileKind: input.attachment.kind }],
        messages: [{ text: 'Đã nhận tệp. Gửi thêm, hoặc gõ "xong".' }],
      };
    }
    return { effects: [], messages: [{ text: `Đã cập nhật ${state.ref}. Cảm ơn anh/chị. Gõ "cập nhật ${state.ref}" khi có thông tin mới.` }], done: true };
  }

  const list = questionsOf(state);
  const question = list[state.index]!;
  let value: unknown;
  // "xong" at an optional essential (where it happened) is a skip: the case is filed, not told "xong" was the place.
  if ((/^(bo qua|khong ro|khong biet)$/.test(folded) || (state.phase === "essentials" && folded === "xong")) && !question.required) {
    value = null;
  } else if (state.phase === "details" && /^(xong|het|gui|nop)$/.test(folded)) {
    // "xong" ends the details at any question, with no attachments prompt after it: a file can
    // still come with "cập nhật KC-…".
    return {
      effects: [],
      messages: [{ text: `Đã gửi ${state.ref}. Cảm ơn anh/chị. Có ảnh hoặc tài liệu thì gõ "cập nhật ${state.ref}" rồi gửi tệp.` }],
      done: true,
    };
  } else {
    const parsed = parseAnswer(question, input, ctx);
    if (!parsed.ok) return { state, effects: [], messages: [{ text: parsed.message }, ask(state)] };
    value = parsed.value;
  }

  const answers = { ...state.answers, [question.id]: value };
  const next: IncidentState = { ...state, answers, index: state.index + 1 };
  if (state.phase === "essentials") {
    if (next.index < ESSENTIALS.length) return { state: next, effects: [], messages: [ask(next)] };
    // The essentials are in: file the case now; details follow as updates.
    const details: IncidentState = { phase: "details", index: 0, answers };
    return { state: details, effects: [{ kind: "create", answers }], messages: [] };
  }
  const effects: IncidentEffect[] = [{ kind: "update", field: question.id, value }];
  if (next.index < list.length) return { state: next, effects, messages: [{ text: `Đã ghi: ${formatAnswer(question, value)}.` }, ask(next)] };
  const done = finishDetails(next);
  return { ...done, effects: [...effects, ...done.effects] };
}

/** After the filing message the service asks the first detail question. */
export function firstDetail(state: IncidentState): OutboundMessage {
  return { ...ask(state), text: `Bổ sung thông tin (không bắt buộc, gõ "xong" để dừng):\n${ask(state).text}` };
}

function finishDetails(state: IncidentState): IncidentStep {
  return {
    state: { ...state, phase: "attachment" },
    effects: [],
    messages: [{ text: 'Nếu có ảnh hoặc tài liệu, anh/chị gửi vào đây (chỉ người có thẩm quyền xem được). Không có thì gõ "xong".' }],
  };
}
