/** The tenant's meter: one Durable Object per tenant, addressed by tenant id. */
export function meterFor(env: Pick<Env, "METER">, tenantId: string) {
  return env.METER.getByName(tenantId);
}
