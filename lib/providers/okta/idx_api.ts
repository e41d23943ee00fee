/**
 * The Okta Identity Engine (IDX) API as the hosted Sign-In Widget speaks it:
 * Ion JSON states, each offering remediation forms whose `href` and fields
 * say what may be posted next. This file reads states and builds request
 * bodies from a form's fields; idx.ts decides which form to answer.
 *
 * A request body follows the widget's rules: a field with `mutable: false`
 * is sent back exactly as received (this is how `stateHandle` travels), a
 * mutable field takes the caller's value or else its default, and nested
 * `form`s and chosen `options` become nested objects.
 *
 * @module
 */
import { LoginError } from "../../errors.ts";
import type { HttpSession } from "../../http/http_session.ts";
import type { Logger } from "../../logger.ts";

/** One field of a remediation form. */
export interface IonField {
  /** The field name. */
  name: string;
  /** Its label for a person. */
  label?: string;
  /** "string", "object", "boolean". */
  type?: string;
  /** Whether it must be sent. */
  required?: boolean;
  /** Whether it is a secret. */
  secret?: boolean;
  /** False: send `value` back unchanged. */
  mutable?: boolean;
  /** The value or default. */
  value?: unknown;
  /** A nested form (an object field). */
  form?: { value?: IonField[] };
  /** Choices; an option's `value.form.value` is again a field list. */
  options?: IonOption[];
  /** Messages about this field (a wrong code). */
  messages?: IonMessages;
  /** JSONPath of the object this field is about. */
  relatesTo?: string;
}

/** One choice of an `options` field. */
export interface IonOption {
  /** Its label for a person. */
  label?: string;
  /** A plain value, or `{ form: { value: fields } }`. */
  value?: unknown;
  /** JSONPath into `authenticators` or `authenticatorEnrollments`. */
  relatesTo?: string;
}

/** A remediation: a form the client may submit now. */
export interface Remediation {
  /** What it is ("identify", "challenge-poll", …). */
  name: string;
  /** Where to send it. */
  href?: string;
  /** The HTTP method (POST, or GET for success-redirect). */
  method?: string;
  /** Its fields. */
  value?: IonField[];
  /** JSONPaths of the objects it is about. */
  relatesTo?: string[] | string;
  /** For challenge-poll: how long to wait before the next poll, in ms. */
  refresh?: number;
  /** The media type the server accepts. */
  accepts?: string;
}

/** One message of an Ion `messages` collection. */
export interface IonMessage {
  /** Okta's text. */
  message?: string;
  /** Its key, e.g. `{ key: "errors.E0000004" }`. */
  i18n?: { key?: string };
  /** "ERROR", "WARNING" or "INFO". */
  class?: string;
}

/** An Ion collection of messages. */
export interface IonMessages {
  /** The messages. */
  value?: IonMessage[];
}

/** An authenticator as listed in `authenticators` or `currentAuthenticator`. */
export interface IdxAuthenticator {
  /** Its id (`aut…`). */
  id?: string;
  /** Its stable identity: `okta_verify`, `okta_password`, `phone_number`, … */
  key?: string;
  /** Its type: `app`, `password`, `phone`, `email`, `security_key`. */
  type?: string;
  /** Its name. */
  displayName?: string;
  /** The methods it offers. */
  methods?: { type?: string }[];
  /** Push number and similar (`correctAnswer`). */
  contextualData?: Record<string, unknown>;
  /** The masked phone number or address. */
  profile?: Record<string, unknown>;
  /** The form that sends the code or push again. */
  resend?: Remediation;
}

/** One IDX state (response). */
export interface IdxState {
  /** "1.0.0". */
  version?: string;
  /** The handle for the next call; may change with every response. */
  stateHandle?: string;
  /** The forms offered now. */
  remediation?: { value?: Remediation[] };
  /** Errors and notes. */
  messages?: IonMessages;
  /** The authenticator being challenged. */
  currentAuthenticator?: { value?: IdxAuthenticator };
  /** The enrollment being challenged (password, phone, …). */
  currentAuthenticatorEnrollment?: { value?: IdxAuthenticator };
  /** Authenticators the options relate to. */
  authenticators?: { value?: IdxAuthenticator[] };
  /** Enrollments the options relate to. */
  authenticatorEnrollments?: { value?: IdxAuthenticator[] };
  /** Set when the login is done: where to go for the app. */
  success?: Remediation;
  /** Set when the login failed for good. */
  failure?: Remediation;
  /** A CAPTCHA the page would show. */
  captcha?: unknown;
}

/** The remediations of a state. */
export function remediations(state: IdxState): Remediation[] {
  const list = state.remediation?.value;
  return Array.isArray(list)
    ? list.filter((r) => typeof r?.name === "string")
    : [];
}

/** The remediation `name` of a state, if offered. */
export function remediation(
  state: IdxState,
  name: string,
): Remediation | undefined {
  return remediations(state).find((r) => r.name === name);
}

/** Error messages of a state: top level, then nested in form fields. */
export function errorMessages(state: IdxState): IonMessage[] {
  const out: IonMessage[] = [];
  const collect = (messages: IonMessages | undefined) => {
    for (const m of messages?.value ?? []) {
      if (m && (m.class ?? "ERROR") === "ERROR" && m.message) out.push(m);
    }
  };
  collect(state.messages);
  const walk = (fields: IonField[] | undefined) => {
    for (const field of fields ?? []) {
      collect(field.messages);
      walk(field.form?.value);
    }
  };
  for (const r of remediations(state)) walk(r.value);
  return out;
}

/** The texts of the error messages, joined, or "". */
export function errorText(state: IdxState): string {
  return errorMessages(state).map((m) => m.message).join(" ");
}

/** What the caller fills into a form: plain values, nested objects, or a chosen option. */
export type IonInput = {
  [name: string]: unknown;
};

/** Picks option `index` of an options field, with values for the option's own fields. */
export interface ChosenOption {
  /** Marks the choice. */
  option: IonOption;
  /** Values for the option's form fields (e.g. `methodType`). */
  values?: IonInput;
}

/** Whether `value` is a {@link ChosenOption}. */
function isChosen(value: unknown): value is ChosenOption {
  return typeof value === "object" && value !== null && "option" in value;
}

/** The form fields of an option, if it has any. */
export function optionFields(option: IonOption): IonField[] | undefined {
  const v = option.value as { form?: { value?: IonField[] } } | undefined;
  return Array.isArray(v?.form?.value) ? v.form.value : undefined;
}

/**
 * Builds the JSON body for `fields`: immutable fields verbatim, the
 * caller's values for mutable ones, defaults otherwise; nested forms and
 * options as objects.
 */
export function buildBody(
  fields: IonField[] | undefined,
  input: IonInput = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of fields ?? []) {
    if (typeof field?.name !== "string") continue;
    const given = input[field.name];
    if (field.mutable === false && "value" in field) {
      body[field.name] = field.value;
    } else if (isChosen(given)) {
      const nested = optionFields(given.option);
      body[field.name] = nested
        ? buildBody(nested, given.values)
        : given.option.value;
    } else if (Array.isArray(field.form?.value)) {
      body[field.name] = buildBody(
        field.form.value,
        (typeof given === "object" && given !== null ? given : {}) as IonInput,
      );
    } else if (given !== undefined) {
      body[field.name] = given;
    } else if ("value" in field && field.value !== undefined) {
      body[field.name] = field.value;
    }
  }
  return body;
}

/** The media type IDX speaks. */
const ION = "application/ion+json; okta-version=1.0.0";

/** Posts IDX requests to one org and reads the states. */
export class IdxClient {
  #http: HttpSession;
  #logger: Logger;
  #org: URL;

  /** Every request goes to `org`'s origin only. */
  constructor(http: HttpSession, logger: Logger, org: URL) {
    this.#http = http;
    this.#logger = logger;
    this.#org = org;
  }

  /** `POST /idp/idx/introspect` with the page's stateToken. */
  introspect(stateToken: string): Promise<IdxState> {
    return this.post(
      new URL("/idp/idx/introspect", this.#org),
      { stateToken },
      "start the Okta sign-in (introspect)",
      ION,
    );
  }

  /** Submits `form` with `input`; returns the next state. */
  submit(
    form: Remediation,
    input: IonInput,
    action: string,
  ): Promise<IdxState> {
    if (!form.href) {
      throw new LoginError(
        `Cannot ${action}: Okta's ${form.name} form has no href`,
      );
    }
    return this.post(form.href, buildBody(form.value, input), action);
  }

  /**
   * Posts `body`. A non-2xx answer that is an IDX document is still a state
   * (its messages say what went wrong); anything else is an error.
   */
  async post(
    url: string | URL,
    body: unknown,
    action: string,
    contentType = "application/json",
  ): Promise<IdxState> {
    const res = await this.#http.request(url, {
      method: "POST",
      json: body,
      headers: {
        "content-type": contentType,
        "accept": "application/json; okta-version=1.0.0",
      },
      follow: false,
      askedBy: this.#org,
    });
    let state: IdxState;
    try {
      state = JSON.parse(res.text);
    } catch {
      throw new LoginError(
        `Cannot ${action}: ${res.url.host} answered HTTP ${res.status} with a body that is not Okta JSON`,
      );
    }
    if (typeof state !== "object" || state === null || Array.isArray(state)) {
      throw new LoginError(
        `Cannot ${action}: ${res.url.host} answered JSON that is not an IDX state`,
      );
    }
    this.#logger.secret(state.stateHandle);
    const errors = errorMessages(state);
    if (res.status === 429) {
      const text = errorText(state);
      throw new LoginError(
        `Cannot ${action}: Okta at ${res.url.host} is rate limiting requests (HTTP 429)${
          text ? `: ${text}` : ""
        }`,
      );
    }
    this.#logger.debug(
      `Okta IDX: HTTP ${res.status}, remediations ${
        remediations(state).map((r) => r.name).join(", ") || "none"
      }${state.success ? ", success" : ""}${
        errors.length
          ? `, messages ${errors.map((m) => m.i18n?.key ?? "?").join(", ")}`
          : ""
      }`,
    );
    return state;
  }
}
