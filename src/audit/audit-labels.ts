/**
 * The audit log (nhật ký) in words: every action string written anywhere in src/ has its label
 * here (tests/unit/audit-labels.test.ts greps src/ for them), and the log page's filter lists
 * exactly this table, so an action cannot be recorded without being findable.
 */
export const AUDIT_ACTIONS: Readonly<Record<string, string>> = {
  signin: "Đăng nhập",
  "incident.read": "Xem báo cáo khẩn",
  "incident.read_refused": "Tra mã báo cáo khẩn không có hoặc không được xem",
  "incident.list": "Xem danh sách báo cáo khẩn",
  "incident.acknowledge": "Tiếp nhận báo cáo khẩn",
  "incident.assign": "Phân công báo cáo khẩn",
  "incident.note": "Ghi chú báo cáo khẩn",
  "incident.close": "Đóng báo cáo khẩn",
  "broadcast.create": "Gửi văn bản",
  "broadcast.remind": "Nhắc xác nhận văn bản",
  "broadcast.export": "Tải danh sách người nhận",
  export: "Tải báo cáo tổng hợp",
  "reminder.manual": "Nhắc nộp báo cáo",
  "request.create": "Gửi yêu cầu báo cáo đột xuất",
  "request.remind": "Nhắc trả lời yêu cầu báo cáo",
  "submission.read": "Xem báo cáo",
  "submission.read_refused": "Mở báo cáo không có hoặc không được xem",
  "submission.approve": "Duyệt báo cáo",
  "submission.return": "Trả lại báo cáo",
  "officers.import": "Nhập danh sách cán bộ",
  "officer.invite": "Tạo lời mời",
  "officer.deactivate": "Ngừng hoạt động cán bộ",
  "officer.reactivate": "Kích hoạt lại cán bộ",
  "officer.move": "Chuyển cán bộ sang đơn vị mới",
  "officer.link_approve": "Xác nhận liên kết tài khoản Zalo",
  "officer.link_reject": "Từ chối liên kết tài khoản Zalo",
  "units.import": "Nhập danh mục đơn vị",
  "calendar.edit": "Sửa lịch báo cáo",
  "template.reminders": "Sửa lịch nhắc",
  "template.upload": "Tải lên mẫu báo cáo",
  "template.publish": "Công bố mẫu báo cáo",
  "template.archive": "Lưu trữ mẫu báo cáo",
  "template.schedule": "Đặt lịch mẫu báo cáo",
  "template.export": "Tải xuống mẫu báo cáo",
  "campaign.create": "Tạo chiến dịch nhắc",
  "campaign.pause": "Tạm dừng chiến dịch nhắc",
  "campaign.resume": "Tiếp tục chiến dịch nhắc",
  "campaign.theme": "Sửa chủ đề chiến dịch",
  "campaign.step.add": "Thêm bước chiến dịch",
  "campaign.step.edit": "Sửa bước chiến dịch",
  "campaign.step.delete": "Xoá bước chiến dịch",
  "settings.quiet_hours": "Sửa giờ yên tĩnh",
  "audit.read": "Xem nhật ký",
};

/** The action in words; one this table does not know is shown as recorded. */
export const auditActionLabel = (action: string): string => AUDIT_ACTIONS[action] ?? action;

/** The filter's choices: every action of the table, in its order. */
export const AUDIT_ACTION_OPTIONS: readonly { value: string; label: string }[] = Object.entries(AUDIT_ACTIONS).map(([value, label]) => ({ value, label }));

/** The non-officer actors, as a person reads them. */
export const SYSTEM_ACTORS: Readonly<Record<string, string>> = { "admin-api-token": "Mã API quản trị", cli: "Dòng lệnh" };

/** The keys of an entry's detail, in words. */
const DETAIL_LABELS: Record<string, string> = {
  via: "Qua",
  format: "Định dạng",
  closed: "Hồ sơ đã đóng",
  refs: "Các mã",
  imported: "Số dòng đã nhập",
  rejected: "Số dòng lỗi",
  channel: "Kênh",
  pendingLink: "Yêu cầu liên kết",
  externalId: "Tài khoản",
  from: "Từ",
  to: "Thành",
  changes: "Thay đổi",
  source: "Nguồn",
  scheme: "Hệ mã",
  root: "Đơn vị nhận",
  roles: "Vai trò",
  requireAck: "Yêu cầu xác nhận",
  officers: "Số cán bộ",
  name: "Tên",
  key: "Mã",
  audience: "Người nhận",
  stepId: "Bước",
  rule: "Quy tắc",
  sendAt: "Gửi lúc",
  text: "Nội dung",
  filters: "Bộ lọc",
  assignee: "Người được phân công",
  officerId: "Mã cán bộ",
  action: "Việc",
  who: "Người",
  target: "Đối tượng",
  page: "Trang",
  start: "Bắt đầu",
  end: "Kết thúc",
  units: "Số đơn vị",
  deadline: "Hạn",
  template: "Mẫu báo cáo",
  questions: "Số câu hỏi",
  reminded: "Số cán bộ được nhắc",
};

/** Recorded values that are codes, in words. */
const VALUE_LABELS: Record<string, string> = {
  web: "trang quản trị",
  api: "API",
  chat: "chat",
  read: "xem",
  note: "ghi chú",
  acknowledge: "tiếp nhận",
  assign: "phân công",
  close: "đóng hồ sơ",
  telegram: "Telegram",
  zalo: "Zalo",
  zalo_oa: "Zalo OA",
  commune: "cán bộ xã",
  district: "cán bộ huyện",
  province: "cán bộ tỉnh",
  admin: "quản trị viên",
  csv: "CSV",
  xlsx: "Excel",
};

const MAX_VALUE = 160;

/** One value of a detail as text: booleans as có/không, lists joined, nested fields "tên: giá trị". */
export function auditValue(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return v ? "có" : "không";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return VALUE_LABELS[v] ?? v;
  if (Array.isArray(v)) return v.length === 0 ? "—" : v.map(auditValue).join(", ");
  if (typeof v === "object") {
    const fields = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && x !== "");
    return fields.length === 0
      ? "—"
      : fields.map(([k, x]) => `${DETAIL_LABELS[k] ?? k}: ${k === "action" && typeof x === "string" ? auditActionLabel(x) : auditValue(x)}`).join("; ");
  }
  return JSON.stringify(v) ?? "";
}

/** An entry's detail as labelled fields, each value clipped for the table. */
export function auditDetailFields(detail: Record<string, unknown>): { label: string; value: string }[] {
  return Object.entries(detail)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const value = auditValue(v);
      return { label: DETAIL_LABELS[k] ?? k, value: value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value };
    });
}
