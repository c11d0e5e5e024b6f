/**
 * A small typed client for the Zalo Bot Platform (bot-api.zaloplatforms.com), over fetch.
 * Hand-written because no maintained Zalo SDK for Node is installable (see README).
 * The token is part of every URL: never log a URL.
 */
export class ZaloBotApiError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly description: string,
  ) {
    super(`Zalo Bot ${method}: ${code} ${description}`);
    this.name = "ZaloBotApiError";
  }
}

type Envelope<T> = { ok: boolean; result?: T; error_code?: number; description?: string };

export interface ZaloBotMessageResult {
  message_id: string;
  date: number;
}

export function createZaloBotClient(opts: { token: string; apiRoot?: string; timeoutMs?: number }) {
  const root = opts.apiRoot ?? "https://bot-api.zaloplatforms.com";
  async function call<T>(method: string, body?: Record<string, unknown>, timeoutMs = opts.timeoutMs ?? 15_000): Promise<T> {
    const res = await fetch(`${root}/bot${opts.token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body ?? {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const data = (await res.json().catch(() => ({ ok: false, error_code: res.status, description: res.statusText }))) as Envelope<T>;
    if (!data.ok) throw new ZaloBotApiError(method, data.error_code ?? res.status, data.description ?? "");
    return data.result as T;
  }
  return {
    call,
    getMe: () => call<{ id: string; account_name: string }>("getMe"),
    sendMessage: (chatId: string, text: string) => call<ZaloBotMessageResult>("sendMessage", { chat_id: chatId, text }),
    /** One update per call (or an array, depending on the server); 408 when there was none. */
    getUpdates: (timeoutS: number) => call<unknown>("getUpdates", { timeout: String(timeoutS) }, (timeoutS + 10) * 1000),
    setWebhook: (url: string, secretToken: string) => call<unknown>("setWebhook", { url, secret_token: secretToken }),
  };
}

export type ZaloBotClient = ReturnType<typeof createZaloBotClient>;
