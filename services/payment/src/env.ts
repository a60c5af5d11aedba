import { baseEnvSchema, parseEnv, portSchema, type EnvSource } from '@orderflow/service-kit';

export const envSchema = baseEnvSchema.extend({ PORT: portSchema.default(3002) });

/** The only place the payment service reads the environment. */
export function loadEnv(source?: EnvSource) {
  return parseEnv(envSchema, source);
}
