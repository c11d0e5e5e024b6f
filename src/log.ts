import pino from "pino";

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Whatever a handler passes, tokens, phone numbers and free text typed by
 * officers (which may describe a child) never reach the log: those keys are censored.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "baocao" },
      redact: {
        paths: [
          "token",
          "*.token",
          "phone",
          "*.phone",
          "text",
          "*.text",
          "payload",
          "*.payload",
          "authorization",
          "*.authorization",
          "req.headers.authorization",
          "req.headers.cookie",
          "contact",
          "*.contact",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
