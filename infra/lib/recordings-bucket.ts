/**
 * The recordings bucket: private, encrypted, TLS only, written by browsers through the Worker's presigned
 * POST policies. Its CORS rule is `infra/s3-cors.json` and its retention rules `infra/lifecycle-rules.json`,
 * the first in the S3 API's JSON form (PutBucketCors), the second in CloudFormation's.
 */
import { readFileSync } from 'node:fs';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { LifecycleRule as LifecycleRuleJson } from '../../contracts/deletion.ts';

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

/** The bucket's own rule: the parts of a multipart upload that never completes are stored, and billed, until removed. */
const ABORT_INCOMPLETE_UPLOADS: LifecycleRuleJson = {
  Id: 'ies-abort-incomplete-multipart-uploads',
  Status: 'Enabled',
  Prefix: '',
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
};

/**
 * The bucket's lifecycle rules: its own, then those of `lifecycle-rules.json`, written by
 * `npm run tenant -- lifecycle-rules` from every tenant's retention config (contracts/deletion.ts) in
 * CloudFormation's `LifecycleConfiguration.Rules` shape and applied as written. A rule of the file with the
 * Id of the bucket's own is that rule.
 */
export function lifecycleRules(
  file: LifecycleRuleJson[] = readJson<LifecycleRuleJson[]>('lifecycle-rules.json'),
): LifecycleRuleJson[] {
  return [ABORT_INCOMPLETE_UPLOADS, ...file.filter((rule) => rule.Id !== ABORT_INCOMPLETE_UPLOADS.Id)];
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
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The rules go to CloudFormation as the file has them, not through the L2's re-rendering.
    (this.bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride('LifecycleConfiguration', {
      Rules: lifecycleRules(),
    });
  }
}
