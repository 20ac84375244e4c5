/** Reading a job from an SQS message body with the shared schema (`contracts/jobs.ts`). */
import { Job } from '../../contracts/jobs.ts';
import { PermanentJobError } from '../jobs/context.ts';

/** A message that is not a job this transcoder knows: bad JSON, or a shape the schema refuses. */
export class InvalidJobMessageError extends PermanentJobError {
  override name = 'InvalidJobMessageError';
}

/** Parses a message body into a job. @throws InvalidJobMessageError saying what is wrong with it */
export function parseJobMessage(body: string): Job {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InvalidJobMessageError(`the message body is not JSON: ${(error as Error).message}`);
  }
  const result = Job.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`,
    );
    throw new InvalidJobMessageError(`the message is not a job: ${problems.join('; ')}`);
  }
  return result.data;
}
