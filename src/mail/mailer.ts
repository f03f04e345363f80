import type { Transporter } from "nodemailer";
import type { Config } from "../config/schema";
import { errorKind, type Logger } from "../lib/log";

interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** What the message is ("magic_link" …): the only thing about it that reaches the log. */
  kind: string;
}

/** Sends mail; resolves false (and logs an event without address or content) when it could not. */
export interface Mailer {
  send(message: MailMessage): Promise<boolean>;
}

/**
 * SMTP through nodemailer from `mail.smtp_url`; with no URL nothing can be sent, and the log says so.
 * nodemailer is loaded with the first mail (it is ~20 MB of memory a gateway may never need).
 */
export function createMailer(mail: Readonly<Config["mail"]>, log: Logger): Mailer {
  if (mail.smtp_url === "") {
    return {
      async send({ kind }) {
        log.warn("mail_not_sent", { kind, reason: "smtp_not_configured" });
        return false;
      },
    };
  }
  let transport: Transporter | undefined;
  return {
    async send({ to, subject, text, kind }) {
      try {
        transport ??= (require("nodemailer") as typeof import("nodemailer")).createTransport(mail.smtp_url);
        await transport.sendMail({ from: mail.from, to, subject, text });
        log.info("mail_sent", { kind });
        return true;
      } catch (err) {
        // The error's message can name the recipient: only its class is logged.
        log.error("mail_failed", { kind, error: errorKind(err) });
        return false;
      }
    },
  };
}
