'use strict';
// throws from a timer and leaves a rejected promise behind: the host must survive both
exports.handler = async () => {
  setTimeout(() => { throw new Error('late boom'); }, 1);
  Promise.reject(new Error('nobody catches me'));
  return 'ok';
};
