/**
 * The Worker bench/signing.ts loads into workerd: signs the posted policy input `iterations` times in a
 * row and answers with the last signature, so the caller can check the work was real and correct.
 */
import { createPostPolicy, type PostPolicyInput } from '../worker/s3/post-policy.ts';

/** The request body: the input as JSON, its `now` as an ISO string. */
export interface SigningRequest {
  iterations: number;
  input: Omit<PostPolicyInput, 'now'> & { now: string };
}

export default {
  async fetch(request) {
    const { iterations, input } = await request.json<SigningRequest>();
    const policyInput = { ...input, now: new Date(input.now) };
    let signature = '';
    for (let i = 0; i < iterations; i++) {
      signature = (await createPostPolicy(policyInput)).postFields['x-amz-signature'];
    }
    return new Response(signature);
  },
} satisfies ExportedHandler;
