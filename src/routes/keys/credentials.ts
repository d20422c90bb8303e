// A key's credentials for the compatible APIs: a Twilio Account SID and auth token, or an Alibaba
// AccessKey ID and secret. The tenant's routes are here; the operator's (any key of a tenant) in admin.
import { z } from "@hono/zod-openapi";
import type { CompatCredentialRow } from "../../db/schema";
import { COMPAT_APIS } from "../../domain/compat/apis";
import { webhookUrlProblem } from "../../domain/webhook-url";
import { ApiError } from "../../lib/errors";
import type { Db } from "../../db/client";
import { createCompatCredential, type CreatedCredential } from "../../services/compat-credentials";

export const CreateCredentialBody = z
  .object({
    api: z.enum(COMPAT_APIS).openapi({ description: "`twilio`: an Account SID and auth token; `alibaba`: an AccessKey ID and secret." }),
    report_url: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .openapi({ example: "https://example.com/sms/reports", description: "Alibaba only: where delivery reports (SmsReport arrays) are pushed. https to a public host." }),
  })
  .strict()
  .openapi("CreateCompatCredentialRequest");

export const Credential = z
  .object({
    id: z.string().openapi({ example: "AC0123456789abcdef0123456789abcdef", description: "The Account SID (`AC…`) or AccessKey ID (`LTAI…`)." }),
    api: z.enum(COMPAT_APIS),
    key_id: z.string(),
    report_url: z.string().nullable(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi("CompatCredential");

export const CreatedCredentialSchema = Credential.extend({
  secret: z.string().openapi({ description: "The auth token (Twilio) or AccessKey secret (Alibaba). Shown only in this response; store it now." }),
}).openapi("CreatedCompatCredential");

export const CredentialList = z.object({ data: z.array(Credential) }).openapi("CompatCredentialList");

export const CredentialParams = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
  credential_id: z.string().min(1).max(64).openapi({ param: { name: "credential_id", in: "path" } }),
});

export function presentCredential(row: CompatCredentialRow): z.infer<typeof Credential> {
  return {
    id: row.id,
    api: row.api,
    key_id: row.keyId,
    report_url: row.reportUrl,
    created_at: new Date(row.createdAt).toISOString(),
    revoked_at: row.revokedAt === null ? null : new Date(row.revokedAt).toISOString(),
  };
}

export const presentCreatedCredential = (row: CreatedCredential): z.infer<typeof CreatedCredentialSchema> => ({ ...presentCredential(row), secret: row.plainSecret });

/** The tenant's and the operator's create: the body checked, the credential made, answered with its secret. */
export async function createCredentialFrom(
  env: Pick<Env, "ENVIRONMENT" | "DATA_ENCRYPTION_KEY">,
  control: Db,
  owner: { tenantId: string; mode?: "test" | "live" },
  keyId: string,
  body: z.infer<typeof CreateCredentialBody>,
): Promise<z.infer<typeof CreatedCredentialSchema>> {
  const reportUrl = reportUrlOf(body, env.ENVIRONMENT === "development");
  return presentCreatedCredential(await createCompatCredential(control, env.DATA_ENCRYPTION_KEY, owner, keyId, body.api, reportUrl));
}

/** A report URL is a webhook URL (public https), and only Alibaba's credentials push reports. */
function reportUrlOf(body: z.infer<typeof CreateCredentialBody>, development: boolean): string | null {
  if (body.report_url === undefined) return null;
  const problem = body.api === "alibaba" ? webhookUrlProblem(body.report_url, development) : "is for Alibaba credentials only (Twilio's StatusCallback is per message)";
  if (problem) throw new ApiError("validation_failed", `report_url ${problem}.`, { errors: [{ path: "body.report_url", message: problem }] });
  return body.report_url;
}
