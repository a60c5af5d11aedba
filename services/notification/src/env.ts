import { z } from 'zod';
import { baseEnvSchema, parseEnv, portSchema, type BaseEnv, type EnvSource } from '@orderflow/service-kit';

/** An `smtp://` (STARTTLS when offered) or `smtps://` (TLS from the start) URL, credentials allowed. */
const smtpUrlSchema = z
  .string()
  .regex(/^smtps?:\/\/\S+$/, 'must be an smtp:// or smtps:// URL')
  .refine((value) => URL.canParse(value), 'must be a valid URL');

/** How the service delivers messages. Without `SMTP_URL` it only logs them (the `log` channel). */
const senderEnvSchema = z.object({
  /** Mail server, e.g. `smtp://127.0.0.1:2525`; unset: messages are logged, not mailed. */
  SMTP_URL: smtpUrlSchema.optional(),
  /** The `From:` address of every mail. */
  SMTP_FROM: z.email().default('orders@orderflow.local'),
});

export const envSchema = baseEnvSchema.extend({ PORT: portSchema.default(3004), ...senderEnvSchema.shape });

/** The notification service's parsed environment. */
export type NotificationEnv = z.output<typeof envSchema>;

/** The sender part of {@link NotificationEnv}. */
export type SenderConfig = z.output<typeof senderEnvSchema>;

/** The only place the notification service reads the environment. */
export function loadEnv(source?: EnvSource): NotificationEnv {
  return parseEnv(envSchema, source);
}

/**
 * The sender settings of an env that `loadEnv` already parsed. `startService` hands the service
 * its env typed as `BaseEnv` (the kit does not know each service's extension), so this reads the
 * two fields back through their schema instead of casting. It never touches `process.env`; given
 * a bare `BaseEnv` it falls back to the defaults (the log channel).
 */
export function senderConfigFrom(env: BaseEnv): SenderConfig {
  return senderEnvSchema.parse(env);
}
