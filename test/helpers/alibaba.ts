import { createHmac } from "node:crypto";
import { canonicalQuery, percentEncode } from "../../src/domain/compat/alibaba";
import { call } from "./api";

let sequence = 0;

/**
 * A query string signed with Alibaba's RPC signature (HMAC-SHA1) over every parameter, as its SDKs sign with
 * `signatureAlgorithm: "v2"` (the SDK itself proves the signer in test/compat/sdks.e2e.mjs). `nonce` fixed
 * replays a request; by default each gets its own.
 */
export function signedQuery(credential: { id: string; secret: string }, params: [string, string][], nonce = `test-${Date.now()}-${sequence++}`, at = Date.now()): string {
  const all: [string, string][] = [
    ...params,
    ["AccessKeyId", credential.id],
    ["Format", "json"],
    ["SignatureMethod", "HMAC-SHA1"],
    ["SignatureNonce", nonce],
    ["SignatureVersion", "1.0"],
    ["Timestamp", new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z")],
    ["Version", "2017-05-25"],
  ];
  const signature = createHmac("sha1", `${credential.secret}&`).update(`POST&${percentEncode("/")}&${percentEncode(canonicalQuery(all))}`).digest("base64");
  return `${canonicalQuery(all)}&Signature=${percentEncode(signature)}`;
}

/** An Alibaba action, signed, and its JSON answer with the HTTP status. */
export async function alibaba(credential: { id: string; secret: string }, action: string, params: Record<string, string>, nonce?: string, at?: number) {
  const response = await call(`/?${signedQuery(credential, [["Action", action], ...Object.entries(params)], nonce, at)}`, { method: "POST" });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}
