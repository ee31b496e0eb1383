'use strict';
// ?hang=1: awaits a promise that never settles; ?late=MS: answers after MS milliseconds; otherwise at once.
exports.handler = async (event, context) => {
  if (event.query.hang) await new Promise(() => {});
  if (event.query.late) {
    await new Promise((r) => setTimeout(r, Number(event.query.late)));
    console.log('late result computed');
    return { late: true };
  }
  return { ok: true, id: context.invocationId };
};
