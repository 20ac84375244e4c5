/**
 * The recordings bucket: private, encrypted, TLS only, written by browsers through the Worker's presigned
 * POST policies. Its CORS rule is `infra/s3-cors.json` and its retention rules `infra/lifecycle-rules.json`,
 * both in the S3 API's JSON form (PutBucketCors, PutBucketLifecycleConfiguration).
 */
import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

const INFRA = new URL('../', import.meta.url).pathname;

/** One rule of `s3-cors.json`, as `aws s3api put-bucket-cors` takes it. */
interface CorsRuleJson {
  ID?: string;
  AllowedOrigins: string[];
  AllowedMethods: string[];
  AllowedHeaders?: string[];
  ExposeHeaders?: string[];
  MaxAgeSeconds?: number;
}

/**
 * One rule of `lifecycle-rules.json` (per-tenant retention and archival, e.g. a `Filter.Prefix` of
 * `proctor/ies/<tenant_uuid>/`), the subset of the S3 API's LifecycleRule this bucket uses.
 */
interface LifecycleRuleJson {
  ID: string;
  Status?: 'Enabled' | 'Disabled';
  Filter?: { Prefix?: string };
  Expiration?: { Days: number };
  Transitions?: { Days: number; StorageClass: string }[];
}

/** Reads a JSON file of infra/. */
function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(`${INFRA}${name}`, 'utf8')) as T;
}

/** The bucket's CORS rules from `s3-cors.json`. */
export function corsRules(): s3.CorsRule[] {
  return readJson<{ CORSRules: CorsRuleJson[] }>('s3-cors.json').CORSRules.map((rule) => ({
    id: rule.ID,
    allowedOrigins: rule.AllowedOrigins,
    allowedMethods: rule.AllowedMethods.map((method) => method as s3.HttpMethods),
    allowedHeaders: rule.AllowedHeaders,
    exposedHeaders: rule.ExposeHeaders,
    maxAge: rule.MaxAgeSeconds,
  }));
}

/** The retention and archival rules of `lifecycle-rules.json`; a rule naming a field not handled here throws. */
export function tenantLifecycleRules(
  rules = readJson<LifecycleRuleJson[]>('lifecycle-rules.json'),
): s3.LifecycleRule[] {
  const known = new Set(['ID', 'Status', 'Filter', 'Expiration', 'Transitions']);
  return rules.map((rule) => {
    const unknown = Object.keys(rule).filter((key) => !known.has(key));
    if (unknown.length > 0)
      throw new Error(`lifecycle-rules.json: rule ${rule.ID} has unsupported ${unknown.join(', ')}`);
    return {
      id: rule.ID,
      enabled: rule.Status !== 'Disabled',
      prefix: rule.Filter?.Prefix,
      expiration: rule.Expiration && Duration.days(rule.Expiration.Days),
      transitions: rule.Transitions?.map((transition) => ({
        storageClass: new s3.StorageClass(transition.StorageClass),
        transitionAfter: Duration.days(transition.Days),
      })),
    };
  });
}

export class RecordingsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: { bucketName: string }) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // The Worker's POST policies carry `acl: private` (the seed's postFields). A bucket with ACLs disabled
      // (BucketOwnerEnforced) accepts only no ACL or bucket-owner-full-control
      // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html), so
      // ACLs stay enabled; the objects are still the bucket owner's and public ACLs are blocked above.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      cors: corsRules(),
      lifecycleRules: [
        // The parts of a multipart upload that never completes are stored, and billed, until removed.
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...tenantLifecycleRules(),
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
