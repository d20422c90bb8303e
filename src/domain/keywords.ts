export const KEYWORD_ACTIONS = ["opt_out", "opt_in", "help"] as const;
export type KeywordAction = (typeof KEYWORD_ACTIONS)[number];

/** A tenant's reply keywords and the answers it sends; absent answers are not sent. */
export interface KeywordSettings {
  opt_out: string[];
  opt_in: string[];
  help: string[];
  help_reply: string;
  opt_out_reply: string | null;
  opt_in_reply: string | null;
}

export const DEFAULT_KEYWORDS: KeywordSettings = {
  opt_out: ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "TD", "T", "退订", "R"],
  opt_in: ["START", "UNSTOP", "YES", "SUBSCRIBE"],
  help: ["HELP"],
  help_reply: "Reply STOP to unsubscribe or START to subscribe again. Msg & data rates may apply.",
  opt_out_reply: null,
  opt_in_reply: null,
};

const fold = (text: string) => text.normalize("NFKC").trim().toUpperCase();

/** Carriers require STOP to opt out whatever a tenant configures: it is always an opt-out keyword. */
export const REQUIRED_OPT_OUT = ["STOP"] as const;

/** Whether a tenant's opt-out list keeps every keyword carriers require. */
export const keepsRequiredOptOut = (optOut: readonly string[]) => REQUIRED_OPT_OUT.every((required) => optOut.some((k) => fold(k) === required));

/** What a reply asks for: the whole trimmed message must be a keyword, in any case. */
export function keywordAction(text: string, settings: KeywordSettings): KeywordAction | null {
  const reply = fold(text);
  // Even under settings saved before the rule, or edited around it.
  if ((REQUIRED_OPT_OUT as readonly string[]).includes(reply)) return "opt_out";
  for (const action of KEYWORD_ACTIONS) {
    if (settings[action].some((keyword) => fold(keyword) === reply)) return action;
  }
  return null;
}

/** The auto-reply for an action, if the tenant sends one. */
export function autoReply(action: KeywordAction, settings: KeywordSettings): string | null {
  return action === "help" ? settings.help_reply : action === "opt_out" ? settings.opt_out_reply : settings.opt_in_reply;
}
