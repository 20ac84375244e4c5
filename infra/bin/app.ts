/**
 * The CDK app: one stack per stage, `ies-staging` and `ies-production`, in the account of the caller's
 * credentials. `cdk deploy ies-staging` builds the transcoder image with Docker; with
 * `-c transcoderImage=<repository:tag>` it deploys an image already pushed instead.
 */
import { App } from 'aws-cdk-lib';
import { IesStack } from '../lib/ies-stack.ts';
import { STAGES } from '../lib/stages.ts';

const app = new App();
const transcoderImage: string | undefined = app.node.tryGetContext('transcoderImage');
for (const settings of Object.values(STAGES)) {
  new IesStack(app, `ies-${settings.stage}`, {
    settings,
    transcoderImage,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: settings.region },
  });
}
