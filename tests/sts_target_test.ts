import assert from "node:assert/strict";
import { StsError } from "../lib/errors.ts";
import { resolveStsTarget } from "../lib/aws/sts.ts";

const aws = "arn:aws:iam::123456789012:role/dev";

Deno.test("resolveStsTarget() picks the endpoint from the partition and region", () => {
  assert.deepEqual(resolveStsTarget(aws, undefined, {}), {
    endpoint: "https://sts.amazonaws.com",
    region: "us-east-1",
  });
  assert.deepEqual(resolveStsTarget(aws, "eu-west-1", {}), {
    endpoint: "https://sts.eu-west-1.amazonaws.com",
    region: "eu-west-1",
  });
  assert.deepEqual(
    resolveStsTarget(aws, undefined, { AWS_REGION: "ap-south-1" }).endpoint,
    "https://sts.ap-south-1.amazonaws.com",
  );
  assert.deepEqual(
    resolveStsTarget(aws, undefined, { AWS_DEFAULT_REGION: "us-west-2" })
      .region,
    "us-west-2",
  );
  assert.deepEqual(
    resolveStsTarget("arn:aws-us-gov:iam::123456789012:role/x", undefined, {}),
    {
      endpoint: "https://sts.us-gov-west-1.amazonaws.com",
      region: "us-gov-west-1",
    },
  );
  assert.deepEqual(
    resolveStsTarget(
      "arn:aws-cn:iam::123456789012:role/x",
      "cn-northwest-1",
      {},
    ),
    {
      endpoint: "https://sts.cn-northwest-1.amazonaws.com.cn",
      region: "cn-northwest-1",
    },
  );
});

Deno.test("resolveStsTarget() honours AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL", () => {
  assert.equal(
    resolveStsTarget(aws, undefined, {
      AWS_ENDPOINT_URL: "https://a",
      AWS_ENDPOINT_URL_STS: "https://b",
    }).endpoint,
    "https://b",
  );
  assert.equal(
    resolveStsTarget(aws, undefined, { AWS_ENDPOINT_URL: "https://a" })
      .endpoint,
    "https://a",
  );
  assert.equal(
    resolveStsTarget(aws, undefined, {
      AWS_ENDPOINT_URL: "https://a",
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true",
    }).endpoint,
    "https://sts.amazonaws.com",
  );
  assert.throws(
    () => resolveStsTarget("arn:aws-iso:iam::1:role/x", undefined, {}),
    StsError,
  );
});
