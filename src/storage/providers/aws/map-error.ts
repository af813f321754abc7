import {
  AccessDeniedError,
  BucketNotFoundError,
  EndpointUnreachableError,
  ObjectNotFoundError,
  ObjectStoreError,
  ObjectStoreRequestError,
  type ObjectStoreTarget,
} from '../../errors.ts';

const accessDeniedNames = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
]);

/** What to do when the SDK's default chain found no credentials (default-chain.ts). */
const NO_CREDENTIALS_HINT =
  'the location names no secret (spec.credential) and no spec.config.credentialProcess, the server has no credentials file, ' +
  'and the AWS default chain found none (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, ' +
  'container credentials, instance metadata): give the location credentials one of these ways';
const transientNames = new Set([
  'SlowDown',
  'RequestTimeout',
  'InternalError',
  'ServiceUnavailable',
  'ThrottlingException',
  'TimeoutError',
]);
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** The fields of an SDK or socket error we look at; everything is optional. */
interface ErrorFacts {
  name: string;
  message: string;
  status: number | undefined;
  errno: string | undefined;
}

function factsOf(err: unknown): ErrorFacts {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  let errno = typeof e.code === 'string' ? e.code : undefined;
  // Socket errors may arrive wrapped one level deep (fetch-style `cause`).
  if (errno === undefined && typeof e.cause === 'object' && e.cause !== null && 'code' in e.cause) {
    errno = typeof e.cause.code === 'string' ? e.cause.code : undefined;
  }
  const status = e.$metadata?.httpStatusCode;
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(err),
    status: typeof status === 'number' ? status : undefined,
    errno,
  };
}

function connectionError(
  target: ObjectStoreTarget,
  key: string,
  errno: string | undefined,
  options: ErrorOptions,
): EndpointUnreachableError | undefined {
  if (errno === undefined) return undefined;
  if (tlsCodes.has(errno)) return new EndpointUnreachableError(target, key, `TLS: ${errno}`, false, options);
  if (networkCodes.has(errno)) return new EndpointUnreachableError(target, key, errno, true, options);
  return undefined;
}

/** Maps an error thrown by the S3 client to the ObjectStoreError a user can act on. */
export function mapS3Error(target: ObjectStoreTarget, err: unknown, operation: string, key: string): ObjectStoreError {
  if (err instanceof ObjectStoreError) return err;
  const f = factsOf(err);
  const options = { cause: err };
  const unreachable = connectionError(target, key, f.errno, options);
  if (unreachable) return unreachable;
  if (f.name === 'NoSuchBucket') return new BucketNotFoundError(target, key, options);
  // HEAD answers carry no body, so a missing key shows up only as a bare 404 `NotFound`.
  if (f.name === 'NoSuchKey' || (f.name === 'NotFound' && key !== '')) {
    return new ObjectNotFoundError(target, key, options);
  }
  if (f.name === 'NotFound') return new BucketNotFoundError(target, key, options);
  if (f.name === 'CredentialsProviderError') {
    return new AccessDeniedError(target, key, `no credentials: ${f.message}`, NO_CREDENTIALS_HINT, options);
  }
  if (accessDeniedNames.has(f.name) || f.status === 403) {
    return new AccessDeniedError(target, key, f.name, undefined, options);
  }
  if (f.name === 'PermanentRedirect' || f.name === 'AuthorizationHeaderMalformed' || f.status === 301) {
    return new ObjectStoreRequestError(target, key, operation, f.name, {
      message: `${f.message} (the bucket is probably in another region: set spec.config.region)`,
      transient: false,
      cause: err,
    });
  }
  const transient =
    transientNames.has(f.name) ||
    (f.status !== undefined && (f.status >= 500 || f.status === 429)) ||
    (f.errno !== undefined && f.errno.startsWith('E'));
  return new ObjectStoreRequestError(target, key, operation, f.name, { message: f.message, transient, cause: err });
}
