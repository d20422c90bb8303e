import { createMiddleware } from "hono/factory";
import { parseBasicAuth } from "../domain/compat/twilio";
import type { Scope } from "../domain/scopes";
import { ApiError } from "../lib/errors";
import { findCompatCredential, tokenMatches } from "../services/compat-credentials";
import type { AppEnv, AuthContext } from "../types";
import { actAs } from "./auth";

/**
 * Twilio's HTTP Basic auth: the Account SID and its auth token. The request then works as the credential's
 * key, and the path's AccountSid must be that SID (another account's is not found, as in Twilio).
 */
export const twilioAuth = createMiddleware<AppEnv>(async (c, next) => {
  const basic = parseBasicAuth(c.req.header("authorization"));
  if (!basic) throw new ApiError("unauthorized", "Authenticate with HTTP Basic: your Account SID and auth token.", { headers: { "WWW-Authenticate": 'Basic realm="Twilio API"' } });
  const credential = /^AC[0-9a-f]{32}$/.test(basic.username) ? await findCompatCredential(c.var.control, c.env.DATA_ENCRYPTION_KEY, "twilio", basic.username) : undefined;
  if (!credential || !(await tokenMatches(credential, basic.password))) {
    throw new ApiError("unauthorized", "The Account SID or auth token is wrong, or the credential was revoked.", { headers: { "WWW-Authenticate": 'Basic realm="Twilio API"' } });
  }
  const account = c.req.param("AccountSid");
  if (account !== undefined && account !== credential.id) throw new ApiError("not_found", `The requested resource /Accounts/${account.slice(0, 40)} was not found.`);
  c.set("credential", credential);
  actAs(c, credential.key);
  await next();
});

/** A restricted key's credential reaches only what its scopes allow, as the key itself does: 403 `insufficient_scope`. */
export function assertScope(auth: AuthContext, scope: Scope): void {
  if (auth.scopes && !auth.scopes.includes(scope)) {
    throw new ApiError("insufficient_scope", `This key is restricted; the request needs the \`${scope}\` scope.`, { extra: { scope } });
  }
}

export function requireScopeNamed(scope: Scope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    assertScope(c.var.auth, scope);
    await next();
  });
}
