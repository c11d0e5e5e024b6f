/**
 * The officers of bench:inbound, in a process of their own so the server's CPU profile and
 * event loop hold only the server. Reads a Job as JSON on stdin; every officer posts its texts one
 * after another (the next when the previous is answered, after a pause if thinkMs is set), all
 * officers at once. Prints {elapsedMs, latencies, cpuMs} as JSON.
 */
import { request, Agent } from "node:http";

interface Job {
  port: number;
  secret: string;
  chats: number[];
  texts: string[];
  /** 0: the next message as soon as the last is answered; else a pause of 0.5–1.5 × this between messages. */
  thinkMs: number;
  firstUpdateId: number;
}

async function main() {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const job = JSON.parse(input) as Job;
  // One keep-alive connection per officer, as each Telegram delivery stream would have.
  const agent = new Agent({ keepAlive: true, maxSockets: job.chats.length });
  const post = (body: string) =>
    new Promise<{ status: number; body: string }>((ok, fail) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: job.port,
          path: "/webhooks/telegram",
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-telegram-bot-api-secret-token": job.secret },
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => ok({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", fail);
      req.end(body);
    });
  let updateId = job.firstUpdateId;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    job.chats.map(async (chat) => {
      for (const text of job.texts) {
        if (job.thinkMs > 0) await new Promise((ok) => setTimeout(ok, job.thinkMs * (0.5 + Math.random())));
        const body = JSON.stringify({
          update_id: updateId++,
          message: { message_id: 1, date: 0, chat: { id: chat, type: "private" }, from: { id: chat, is_bot: false, first_name: "x" }, text },
        });
        const t0 = performance.now();
        const res = await post(body);
        latencies.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.body.slice(0, 200)}`);
      }
    }),
  );
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ elapsedMs: performance.now() - started, latencies, cpuMs: (cpu.user + cpu.system) / 1000 }));
  agent.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
