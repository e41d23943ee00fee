/**
 * STS AssumeRoleWithSAML through @aws-sdk/client-sts, unsigned, over the
 * fetch-based request handler so that DENO_CERT, HTTPS_PROXY and NO_PROXY
 * apply to STS exactly as to the IdP. The SDK is loaded only here, lazily.
 *
 * @module
 */
import { loadFetchHttpHandler, loadStsClient } from "../deps.ts";
import { StsError, TimeoutError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { RolePair } from "./saml.ts";

/** Temporary AWS credentials. */
export interface AwsCredentials {
  /** The access key id (ASIA…). */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
  /** The session token. */
  sessionToken: string;
  /** When the credentials expire. */
  expiration: Date;
}

/** Where STS is and how long to wait for it. */
export interface StsTarget {
  /** The STS endpoint URL. */
  endpoint: string;
  /** The region the request is made for. */
  region: string;
}

/** Everything one AssumeRoleWithSAML call needs. */
export interface AssumeRoleRequest {
  /** The role to assume and its SAML provider. */
  role: RolePair;
  /** The base64 SAMLResponse, as the IdP gave it. */
  samlResponse: string;
  /** DurationSeconds to ask for; the role default when undefined. */
  durationSeconds?: number;
  /** The --region value, if given. */
  region?: string;
  /** Timeout of the request, in ms. */
  timeoutMs: number;
  /** Environment variables (AWS_ENDPOINT_URL_STS, AWS_REGION, …). */
  env: Record<string, string | undefined>;
  /** The -v log. */
  logger: Logger;
  /** Extra fetch options (tests pass a Deno.HttpClient trusting their CA). */
  requestInit?: () => RequestInit;
}

const PARTITIONS: Record<
  string,
  { defaultRegion: string; suffix: string; global?: string }
> = {
  "aws": {
    defaultRegion: "us-east-1",
    suffix: "amazonaws.com",
    global: "https://sts.amazonaws.com",
  },
  "aws-us-gov": { defaultRegion: "us-gov-west-1", suffix: "amazonaws.com" },
  "aws-cn": { defaultRegion: "cn-north-1", suffix: "amazonaws.com.cn" },
};

/**
 * Chooses the STS endpoint: AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, else
 * the regional endpoint of the role's partition (the global one for the
 * commercial partition when no region is configured).
 */
export function resolveStsTarget(
  roleArn: string,
  region: string | undefined,
  env: Record<string, string | undefined>,
): StsTarget {
  const partitionName = roleArn.split(":")[1] ?? "aws";
  const partition = PARTITIONS[partitionName];
  if (!partition) {
    throw new StsError(
      `Cannot call STS for partition ${partitionName}: set AWS_ENDPOINT_URL_STS to its STS endpoint`,
    );
  }
  const configured = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const chosenRegion = configured ?? partition.defaultRegion;
  const ignore =
    (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? "").toLowerCase() ===
      "true";
  const override = ignore
    ? undefined
    : env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL;
  if (override) {
    requireSafeEndpoint(override);
    return { endpoint: override, region: chosenRegion };
  }
  if (!configured && partition.global) {
    return { endpoint: partition.global, region: chosenRegion };
  }
  return {
    endpoint: `https://sts.${chosenRegion}.${partition.suffix}`,
    region: chosenRegion,
  };
}

/** Whether `host` (URL.hostname) is this machine. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Throws unless the STS endpoint is https, or plain http on loopback (a local
 * STS such as LocalStack or moto): the assertion must not travel unencrypted.
 */
function requireSafeEndpoint(endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new StsError(
      `Cannot call STS: the endpoint ${JSON.stringify(endpoint)} is not a URL`,
    );
  }
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && isLoopback(url.hostname)) return;
  throw new StsError(
    `Refusing to send the SAML assertion to STS at ${url.host} over ${
      url.protocol.replace(":", "")
    }: only https is allowed, or plain http to this machine (LocalStack, moto)`,
  );
}

function describe(error: unknown): { code: string; message: string } {
  const e = error as { name?: string; Code?: string; message?: string };
  return {
    code: e.Code ?? e.name ?? "Error",
    message: e.message ?? String(error),
  };
}

/**
 * Calls AssumeRoleWithSAML. When STS refuses a duration above the role's
 * maximum, retries once without DurationSeconds and says so on stderr.
 *
 * @throws {StsError} with the STS error code and message.
 */
export async function assumeRoleWithSaml(
  request: AssumeRoleRequest,
): Promise<AwsCredentials> {
  const { STSClient, AssumeRoleWithSAMLCommand } = await loadStsClient();
  const { FetchHttpHandler } = await loadFetchHttpHandler();
  const target = resolveStsTarget(
    request.role.roleArn,
    request.region,
    request.env,
  );
  const { logger } = request;
  const client = new STSClient({
    region: target.region,
    endpoint: target.endpoint,
    maxAttempts: 2,
    requestHandler: new FetchHttpHandler({
      requestTimeout: request.timeoutMs,
      requestInit: request.requestInit,
    }),
    // AssumeRoleWithSAML is unsigned. Never resolve AWS credentials here: the
    // default chain could run this very credential_process again.
    credentials: () => {
      throw new StsError(
        "Refusing to look up AWS credentials for an unsigned call",
      );
    },
  });
  const call = async (durationSeconds: number | undefined) => {
    logger.debug(
      `STS AssumeRoleWithSAML at ${target.endpoint} (region ${target.region}) for ${request.role.roleArn}${
        durationSeconds ? `, DurationSeconds ${durationSeconds}` : ""
      }`,
    );
    const started = Date.now();
    const out = await client.send(
      new AssumeRoleWithSAMLCommand({
        RoleArn: request.role.roleArn,
        PrincipalArn: request.role.principalArn,
        SAMLAssertion: request.samlResponse,
        DurationSeconds: durationSeconds,
      }),
    );
    logger.debug(`STS answered in ${Date.now() - started} ms`);
    return out;
  };
  try {
    let out;
    try {
      out = await call(request.durationSeconds);
    } catch (error) {
      const { message } = describe(error);
      if (
        request.durationSeconds !== undefined &&
        /DurationSeconds exceeds the MaxSessionDuration/i.test(message)
      ) {
        logger.warn(
          `STS refused DurationSeconds ${request.durationSeconds} (above the role's maximum); retrying with the role's default duration`,
        );
        out = await call(undefined);
      } else {
        throw error;
      }
    }
    const c = out.Credentials;
    if (
      !c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration
    ) {
      throw new StsError(
        "STS AssumeRoleWithSAML answered without complete credentials",
      );
    }
    logger.secret(c.SecretAccessKey);
    logger.secret(c.SessionToken);
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: new Date(c.Expiration),
    };
  } catch (error) {
    if (error instanceof StsError) throw error;
    const { code, message } = describe(error);
    if (code === "TimeoutError" || /timed? ?out/i.test(message)) {
      throw new TimeoutError(
        `Timed out after ${request.timeoutMs / 1000} s waiting for STS at ${
          new URL(target.endpoint).host
        }`,
      );
    }
    throw new StsError(
      `STS AssumeRoleWithSAML failed for ${request.role.roleArn}: ${code}: ${message}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}
