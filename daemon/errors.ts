// Every refusal Tollgate can give, declared once: its code (a public contract, SPEC "Agent API"),
// its HTTP status, a default message that tells the caller what to do next, and `retry: false`
// where retrying the same request cannot change the answer.
// Nothing else in the daemon invents a status code.

export const ERRORS = {
  bad_request: {
    retry: false,
    status: 400,
    message: 'The request is malformed. Check the method, path, headers and JSON body against the agent API.',
  },
  purpose_required: {
    retry: false,
    status: 400,
    message: 'Say why you make this call: send a Tollgate-Purpose header of 1 to 200 characters.',
  },
  budget_exhausted: {
    retry: false,
    status: 402,
    message: 'This call would cross the spend cap for the period. Wait for the reset, or propose a higher cap (POST /v1/proposals).',
  },
  not_allowlisted: {
    retry: false,
    status: 403,
    message: 'No approved integration has that name. This was recorded as a policy violation. List what is approved with GET /v1/integrations, or propose a new integration.',
  },
  route_not_allowed: {
    retry: false,
    status: 403,
    message: 'The integration does not allow this method and path. Use one of its listed routes (GET /v1/integrations).',
  },
  model_not_allowed: {
    retry: false,
    status: 403,
    message: 'The integration does not allow that model. Use one of its models (GET /v1/integrations), or ask the operator to add it.',
  },
  exfiltration_blocked: {
    retry: false,
    status: 403,
    message: 'The request carries what looks like a credential, so it was not sent. Remove it; Tollgate attaches the key itself.',
  },
  body_too_large: {
    retry: false,
    status: 413,
    message: 'The request body is larger than Tollgate forwards. Send a smaller body.',
  },
  rate_limited: {
    status: 429,
    message: 'Too many calls to this integration right now. Wait for the time in Retry-After, then try again.',
  },
  upstream_error: {
    status: 502,
    message: 'The provider gave an unusable response. Tollgate does not retry; report it or try later.',
  },
  integration_suspended: {
    retry: false,
    status: 503,
    message: 'This integration is suspended. The operator has been told; only the operator can resume it.',
  },
  upstream_unavailable: {
    status: 503,
    message: 'The provider cannot be reached or is failing repeatedly. Tollgate does not retry or fall back; try again later.',
  },
  keychain_unavailable: {
    retry: false,
    status: 503,
    message: 'The key for this integration cannot be read from the OS keychain. The operator has been told.',
  },
  audit_unavailable: {
    retry: false,
    status: 503,
    message: 'The audit log cannot be written, so no call is made. The operator has been told.',
  },
  ledger_unavailable: {
    status: 503,
    message: 'The shared ledger (PostgreSQL) that this integration\'s budget lives in cannot be reached, so nothing is sent unreserved. The operator has been told; try again later.',
  },
  upstream_timeout: {
    status: 504,
    message: 'The provider did not answer in time. Tollgate does not retry; try again later.',
  },
} as const satisfies Record<string, { status: number; message: string; retry?: false }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * Whether retrying the same request can change the answer. Where it cannot (a human must act, or
 * the request must change), refusals say `x-should-retry: false`, which the official OpenAI and
 * Anthropic SDKs honour: one refusal costs one attempt, not a burst of retries.
 */
export const retryCannotHelp = (code: ErrorCode): boolean => 'retry' in ERRORS[code];

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** A refusal with a stable code. `message` is safe to show: it never holds a key or a query value. */
export class TollgateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds, for `rate_limited`. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message?: string, options?: { retryAfter?: number; cause?: unknown }) {
    super(message ?? ERRORS[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TollgateError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryAfter = options?.retryAfter;
  }
}

export function isTollgateError(e: unknown): e is TollgateError {
  return e instanceof TollgateError;
}

/**
 * Errors of the control API (operator side). They are not part of the agent contract,
 * but they are coded the same way so the tray and the CLI can act on them.
 */
export const CONTROL_ERRORS = {
  invalid: { status: 400, message: 'The request body is not valid.' },
  not_found: { status: 404, message: 'No such object.' },
  conflict: { status: 409, message: 'That conflicts with the current state.' },
  key_in_use: { status: 409, message: 'That key is already used by another integration. Each integration needs its own key.' },
  keychain_unavailable: { status: 503, message: 'The OS keychain cannot be used right now. Unlock it and try again.' },
  audit_unavailable: { status: 503, message: 'The database cannot be written right now.' },
  ledger_unavailable: { status: 503, message: 'The shared ledger (PostgreSQL) cannot be reached right now.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ControlErrorCode = keyof typeof CONTROL_ERRORS;

export class ControlError extends Error {
  readonly code: ControlErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ControlErrorCode, message?: string, details?: unknown) {
    super(message ?? CONTROL_ERRORS[code].message);
    this.name = 'ControlError';
    this.code = code;
    this.status = CONTROL_ERRORS[code].status;
    this.details = details;
  }
}
