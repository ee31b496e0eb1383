'use strict';
// async handler: echoes the event and parts of the context, and logs.
exports.handler = async (event, context) => {
  console.log('hello from async', { path: event.path });
  console.log('line one\nline two');
  console.warn('careful');
  console.error('bad thing');
  console.debug('dbg');
  context.logger.info('via logger');
  context.log('via context.log');
  process.stdout.write('raw write\n');
  await new Promise((r) => setImmediate(r));
  console.log('after await');
  return {
    event,
    context: {
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invocationId: context.invocationId,
      awsRequestId: context.awsRequestId,
      memoryLimitInMB: context.memoryLimitInMB,
      remaining: context.getRemainingTimeInMillis(),
      env: context.env,
      processEnv: process.env.GREETING,
      traceparent: context.traceparent,
      traceId: context.traceId,
    },
  };
};
