import { randomBytes } from "node:crypto";
import { Hono, type Context } from "hono";
import { and, eq, gt, isNull } from "drizzle-orm";
import { rateLimiter } from "hono-rate-limiter";
import { loginTokens } from "../../db/schema/index.js";
import { findOfficerByPhone } from "../../directory/officers.js";
import { recipientsOfUnits } from "../../delivery/audience.js";
import { normalizePhone } from "../../domain/phone.js";
import { clientAddress, createProxyTrust } from "../client-address.js";
import { Page } from "../components/layout.js";
import { safeNextPath } from "../redirects.js";
import { sha256 } from "../sessions.js";
import { createPasswordThrottle } from "../sign-in-throttle.js";
import type { WebDeps } from "./deps.js";

const LINK_MINUTES = 10;
const WINDOW_MS = 15 * 60_000;

/** The sign-in page: a one-time link to one's chat, and the admins' password; after a refused password, the form again with why. */
function SignInPage(props: { next: string; error?: string; phone?: string }) {
  return (
    <Page title="Đăng nhập">
      <h1>Đăng nhập baocao</h1>
      <form method="post" action="/login">
        <label>
          Số điện thoại đã đăng ký
          <br />
          <input name="phone" inputmode="tel" autocomplete="tel" required />
        </label>
        <input type="hidden" name="next" value={props.next} />
        <p>
          <button>Gửi đường dẫn đăng nhập</button>
        </p>
      </form>
      <p class="note">
        baocao gửi đường dẫn (dùng một lần, trong {LINK_MINUTES} phút) tới Telegram hoặc Zalo của anh/chị (cán bộ mẫu: tới khung chat mô phỏng).
      </p>
      <h2 id="admin">Quản trị viên</h2>
      {props.error ? (
        <p class="flash error" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/login/password">
        <label>
          Số điện thoại
          <br />
          <input name="phone" inputmode="tel" required value={props.phone ?? ""} />
        </label>
        <br />
        <label>
          Mật khẩu
          <br />
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <input type="hidden" name="next" value={props.next} />
        <p>
          <button>Đăng nhập</button>
        </p>
      </form>
    </Page>
  );
}

/** A short page: a heading, a sentence, and maybe the way back to sign-in. */
function Notice(props: { heading: string; text: string; back?: boolean; children?: unknown }) {
  return (
    <Page title="Đăng nhập">
      <h1>{props.heading}</h1>
      <p>{props.text}</p>
      {props.back ? (
        <p>
          <a href="/login">← Đăng nhập</a>
        </p>
      ) : null}
    </Page>
  );
}

/**
 * Sign-in by a one-time link delivered to the officer's linked chat, or (admins) by password;
 * server-side sessions (httpOnly, SameSite=Lax, Secure behind https). CSRF checks on these forms
 * are set where the app is mounted (src/http/web.ts).
 */
export function loginApp(deps: WebDeps) {
  const { db, clock } = deps;
  const web = new Hono();
  const isTrustedProxy = createProxyTrust(deps.trustProxy);
  const address = (c: Context) => clientAddress(c, isTrustedProxy);
  const phoneOf = async (c: Context) => normalizePhone(String((await c.req.parseBody()).phone ?? "")) ?? "";
  const tooMany = (c: Context) => c.html(<Notice heading="Thử lại sau" text="Anh/chị đã yêu cầu quá nhiều lần. Vui lòng thử lại sau 15 phút." back />, 429);
  // Per client address (an office behind one NAT shares it: generous) and per account (each
  // request sends a chat message: 5 in 15 minutes). Entries expire with their window.
  // hono-rate-limiter types its handler as returning void, but returns its result to Hono, which awaits it.
  const perAddress = rateLimiter({
    windowMs: WINDOW_MS,
    limit: 30,
    standardHeaders: false,
    keyGenerator: (c) => `ip:${address(c)}`,
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- as above
    handler: (c) => tooMany(c),
  });
  const perPhone = rateLimiter({
    windowMs: WINDOW_MS,
    limit: 5,
    standardHeaders: false,
    keyGenerator: async (c) => `phone:${await phoneOf(c)}`,
    skip: async (c) => (await phoneOf(c)) === "",
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- as above
    handler: (c) => tooMany(c),
  });
  const passwords = createPasswordThrottle({ clock });
  const nextOf = (asked: unknown) => safeNextPath(asked, deps.publicOrigin());

  web.get("/login", (c) => c.html(<SignInPage next={nextOf(c.req.query("next"))} />));

  web.post("/login", perAddress, perPhone, async (c) => {
    const form = await c.req.parseBody();
    const phone = normalizePhone(String(form.phone ?? ""));
    const officer = phone ? await findOfficerByPhone(db, phone) : undefined;
    if (officer) {
      const [link] = (await recipientsOfUnits(db, [officer.unitId])).reachable.filter((r) => r.officerId === officer.id);
      if (link) {
        const token = randomBytes(24).toString("base64url");
        await db
          .insert(loginTokens)
          .values({ tokenHash: sha256(token), officerId: officer.id, expiresAt: new Date(clock().getTime() + LINK_MINUTES * 60_000) });
        const next = nextOf(form.next);
        const url = `${deps.publicOrigin()}/login/${token}${next === "/dashboard" ? "" : `?next=${encodeURIComponent(next)}`}`;
        await deps.send([
          {
            officerId: officer.id,
            channel: link.channel,
            chatId: link.chatId,
            kind: "reply",
            // A link preview (or a scanner) opening the link only sees the confirm page: the link is spent by its button.
            payload: {
              text: `Đường dẫn đăng nhập baocao (dùng một lần, hết hạn sau ${LINK_MINUTES} phút):\n${url}\nNếu anh/chị không yêu cầu, hãy bỏ qua tin này.`,
              disablePreview: true,
            },
          },
        ]);
      }
    }
    // The same answer whether or not the number is registered: nothing to learn here.
    return c.html(
      <Notice
        heading="Kiểm tra tin nhắn"
        text="Nếu số điện thoại đã được đăng ký và liên kết, đường dẫn đăng nhập đã được gửi tới Telegram/Zalo của anh/chị."
      />,
    );
  });

  web.post("/login/password", perAddress, async (c) => {
    const form = await c.req.parseBody();
    const typed = String(form.phone ?? "").slice(0, 40);
    const phone = normalizePhone(typed);
    const account = `password:${phone ?? typed}`;
    const wait = passwords.waitMs(account);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      c.header("Retry-After", String(seconds));
      return c.html(
        <Notice
          heading={`Vui lòng đợi ${seconds} giây`}
          text={`Tài khoản này vừa bị nhập sai mật khẩu nhiều lần. Anh/chị thử lại sau ${seconds} giây.`}
          back
        />,
        429,
      );
    }
    const officer = phone ? await findOfficerByPhone(db, phone) : undefined;
    let ok = false;
    if (officer?.role === "admin" && officer.passwordHash) {
      // argon2 (a native addon) is loaded on the first password sign-in: most processes never see one.
      const { verify } = await import("@node-rs/argon2");
      ok = await verify(officer.passwordHash, String(form.password ?? "")).catch(() => false);
    }
    if (!ok || !officer) {
      passwords.failed(account);
      // The form again, with the number kept and the same words for a wrong password and a non-admin.
      return c.html(<SignInPage next={nextOf(form.next)} error="Sai số điện thoại hoặc mật khẩu." phone={typed} />, 401);
    }
    passwords.succeeded(account);
    await deps.sessions.start(c, officer.id);
    return c.redirect(nextOf(form.next));
  });

  const liveToken = async (token: string) => {
    const [row] = await db
      .select({ officerId: loginTokens.officerId })
      .from(loginTokens)
      .where(and(eq(loginTokens.tokenHash, sha256(token)), isNull(loginTokens.usedAt), gt(loginTokens.expiresAt, clock())));
    return row;
  };
  const spentPage = (c: Context) =>
    c.html(
      <Page title="Đăng nhập">
        <h1>Đường dẫn không còn dùng được</h1>
        <p>
          Đường dẫn đã dùng hoặc đã hết hạn. <a href="/login">Yêu cầu đường dẫn mới</a>.
        </p>
      </Page>,
      410,
    );

  // Opening the link only shows a button: chat apps' link previews and mail scanners fetch
  // links with GET, and must not spend a single-use link (or sign anybody in).
  web.get("/login/:token{[A-Za-z0-9_-]+}", async (c) => {
    const token = c.req.param("token");
    if (!(await liveToken(token))) return spentPage(c);
    return c.html(
      <Page title="Đăng nhập">
        <h1>Đăng nhập baocao</h1>
        <form method="post" action={`/login/${token}`}>
          <input type="hidden" name="next" value={nextOf(c.req.query("next"))} />
          <p>
            <button>Đăng nhập vào baocao</button>
          </p>
        </form>
        <p class="note">Đường dẫn chỉ dùng được một lần. Nếu anh/chị không yêu cầu đăng nhập, hãy đóng trang này.</p>
      </Page>,
    );
  });

  web.post("/login/:token{[A-Za-z0-9_-]+}", perAddress, async (c) => {
    const now = clock();
    const [used] = await db
      .update(loginTokens)
      .set({ usedAt: now })
      .where(and(eq(loginTokens.tokenHash, sha256(c.req.param("token"))), isNull(loginTokens.usedAt), gt(loginTokens.expiresAt, now)))
      .returning({ officerId: loginTokens.officerId });
    if (!used) return spentPage(c);
    await deps.sessions.start(c, used.officerId);
    return c.redirect(nextOf((await c.req.parseBody()).next));
  });

  web.post("/logout", async (c) => {
    await deps.sessions.end(c);
    return c.redirect("/login");
  });

  return web;
}
