import type { Child } from "hono/jsx";
import { Flash, Page } from "../components/layout.js";
import type { FlashMessage } from "../flash.js";
import type { Supervisor } from "./kit.js";

const NAV: [string, string][] = [
  ["/dashboard", "Tổng quan"],
  ["/requests", "Yêu cầu báo cáo"],
  ["/broadcasts", "Văn bản chỉ đạo"],
  ["/campaigns", "Chiến dịch"],
  ["/incidents", "Báo cáo khẩn"],
  ["/officers", "Cán bộ"],
  ["/units", "Đơn vị"],
  ["/calendars", "Lịch báo cáo"],
  ["/templates", "Mẫu báo cáo"],
  ["/audit", "Nhật ký"],
];

/** Pages only some supervisors have: report templates are the province's and the admins'. */
const ONLY: Record<string, readonly string[]> = { "/templates": ["province", "admin"] };

/** The admin web's menu, on every page a supervisor sees. */
export function AdminNav(props: { role?: string }) {
  const role = props.role;
  return (
    <nav class="note" aria-label="Chức năng">
      {NAV.filter(([href]) => !ONLY[href] || role === undefined || ONLY[href].includes(role)).map(([href, label], i) => (
        <>
          {i > 0 ? " · " : ""}
          <a href={href}>{label}</a>
        </>
      ))}
    </nav>
  );
}

/** A page of the admin web: navigation, who is signed in, sign-out, and the last action's message. */
export function AdminLayout(props: { title: string; supervisor: Supervisor; flash?: FlashMessage | undefined; heading?: Child; children?: Child }) {
  const s = props.supervisor;
  return (
    <Page title={props.title}>
      <AdminNav role={s.officer.role} />
      <header>
        <h1>{props.heading ?? props.title}</h1>
        <span class="note">
          {s.officer.name} — {s.own.name}{" "}
          <form method="post" action="/logout" class="inline">
            <button>Đăng xuất</button>
          </form>
        </span>
      </header>
      <Flash flash={props.flash} />
      {props.children}
    </Page>
  );
}
