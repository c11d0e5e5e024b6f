import type { Child } from "hono/jsx";
import { AdminLayout } from "../admin/admin-layout.js";
import { Flash, Page } from "../components/layout.js";
import type { FlashMessage } from "../flash.js";
import type { WebEnv } from "./signed-in.js";

/**
 * A page of a signed-in officer: a supervisor's has the admin web's navigation (AdminLayout); a
 * commune officer's, who has no other pages, only the heading, sign-out and the last action's message.
 */
export function OfficerLayout(props: { title: string; heading?: string; who: WebEnv["Variables"]; flash?: FlashMessage | undefined; children?: Child }) {
  const { officer, own, actor } = props.who;
  if (officer.role !== "commune") {
    return (
      <AdminLayout title={props.title} heading={props.heading} supervisor={{ officer, own, actor, scope: actor.scope }} flash={props.flash}>
        {props.children}
      </AdminLayout>
    );
  }
  return (
    <Page title={props.title}>
      <header>
        <h1>{props.heading ?? props.title}</h1>
        <span class="note">
          {officer.name} — {own.name}{" "}
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
