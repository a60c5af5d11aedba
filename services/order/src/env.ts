import { baseEnvSchema, parseEnv, portSchema, type EnvSource } from '@orderflow/service-kit';

export const envSchema = baseEnvSchema.extend({ PORT: portSchema.default(3000) });

/** The only place the order service reads the environment. */
export function loadEnv(source?: EnvSource) {
  return parseEnv(envSchema, source);
}
